/**
 * Requests in DynamoDB, and the one transaction that writes a request change
 * with its jobs and notices. The request is stored as JSON in `body` (exactly
 * what the domain wrote), with the attributes its indexes need beside it.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { BreakglassRequest, RequestState } from '../../domain/request.js';
import type { RequestEffects, StoredRequest } from '../store.js';
import { writeChange } from './change.js';
import type { TableContext, WriteOp } from './context.js';
import { Expr, updateExpression } from './expression.js';
import { GSI1, GSI2, pad, requesterPartition, requestKey, statePartition } from './table.js';
import { updateExisting } from './update-existing.js';

/** Items per Query page when listing requests by state. */
const LIST_PAGE = 500;

/** Every state, so that a list with no state filter reads every state's partition. */
const STATES: Record<RequestState, true> = {
  pending: true,
  executing: true,
  active: true,
  cleaning: true,
  closed: true,
  completed: true,
  failed: true,
  denied: true,
  expired: true,
  cancelled: true,
};

export interface RequestItem {
  body: string;
  version: number;
  createdAt: number;
  messageChannel?: string;
  messageTs?: string;
}

export function requestItem(request: BreakglassRequest, version: number) {
  return {
    ...requestKey(request.id),
    id: request.id,
    state: request.state,
    requesterId: request.requesterId,
    createdAt: request.createdAt,
    version,
    body: JSON.stringify(request),
    ...requestIndexKeys(request),
  };
}

function requestIndexKeys(request: BreakglassRequest) {
  return {
    gsi1pk: statePartition(request.state),
    gsi1sk: request.createdAt,
    gsi2pk: requesterPartition(request.requesterId),
    gsi2sk: pad(request.createdAt),
  };
}

export function toStored(item: Record<string, unknown>): StoredRequest {
  const r = item as unknown as RequestItem;
  return {
    request: JSON.parse(r.body) as BreakglassRequest,
    version: r.version,
    ...(r.messageChannel && r.messageTs ? { message: { channel: r.messageChannel, ts: r.messageTs } } : {}),
  };
}

export class DuplicateRequestError extends Error {}

export class DynamoRequests {
  constructor(private readonly t: TableContext) {}

  async create(request: BreakglassRequest, effects?: RequestEffects): Promise<void> {
    const put: WriteOp = {
      Put: {
        TableName: this.t.name,
        Item: requestItem(request, 1),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const written = await writeChange(this.t, 'request', request.id, put, effects);
    if (!written) throw new DuplicateRequestError(`request ${request.id} already exists`);
  }

  async get(id: string): Promise<StoredRequest | undefined> {
    const result = await this.t.doc.send(
      new GetCommand({ TableName: this.t.name, Key: requestKey(id), ConsistentRead: true }),
    );
    return result.Item ? toStored(result.Item) : undefined;
  }

  async update(
    id: string,
    expectedVersion: number,
    next: BreakglassRequest,
    effects?: RequestEffects,
  ): Promise<boolean> {
    const e = new Expr();
    const update: WriteOp = {
      Update: {
        TableName: this.t.name,
        Key: requestKey(id),
        ConditionExpression: `${e.n('version')} = ${e.v(expectedVersion)}`,
        UpdateExpression: updateExpression(
          e.set({
            state: next.state,
            body: JSON.stringify(next),
            version: expectedVersion + 1,
            ...requestIndexKeys(next),
          }),
        ),
        ...e.params(),
      },
    };
    return writeChange(this.t, 'request', id, update, effects);
  }

  async setMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    await updateExisting(this.t, requestKey(id), { messageChannel: message.channel, messageTs: message.ts });
  }

  async list(filter: {
    states?: RequestState[];
    requesterId?: string;
    limit?: number;
  }): Promise<StoredRequest[]> {
    const limit = filter.limit ?? 50;
    if (filter.requesterId) return this.listByRequester(filter.requesterId, filter.states, limit);
    const states = filter.states?.length ? filter.states : (Object.keys(STATES) as RequestState[]);
    const perState = await Promise.all([...new Set(states)].map((state) => this.listByState(state, limit)));
    return perState
      .flat()
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit)
      .map((item) => toStored(item as unknown as Record<string, unknown>));
  }

  /** Newest first, page after page until `limit` (a page stops at 1 MB whatever its Limit). */
  private async listByState(state: RequestState, limit: number): Promise<RequestItem[]> {
    const found: RequestItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const e = new Expr();
      const result = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          IndexName: GSI1,
          KeyConditionExpression: `${e.n('gsi1pk')} = ${e.v(statePartition(state))}`,
          ...e.params(),
          ScanIndexForward: false,
          Limit: Math.min(limit - found.length, LIST_PAGE),
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((result.Items ?? []) as unknown as RequestItem[]));
      startKey = result.LastEvaluatedKey;
    } while (startKey && found.length < limit);
    return found;
  }

  private async listByRequester(
    requesterId: string,
    states: RequestState[] | undefined,
    limit: number,
  ): Promise<StoredRequest[]> {
    const found: StoredRequest[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const e = new Expr();
      const stateFilter = states?.length
        ? { FilterExpression: `${e.n('state')} IN (${states.map((s) => e.v(s)).join(', ')})` }
        : {};
      const result = await this.t.doc.send(
        new QueryCommand({
          TableName: this.t.name,
          IndexName: GSI2,
          KeyConditionExpression: `${e.n('gsi2pk')} = ${e.v(requesterPartition(requesterId))}`,
          ...stateFilter,
          ...e.params(),
          ScanIndexForward: false,
          Limit: Math.max(limit, 25),
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...(result.Items ?? []).map(toStored));
      startKey = result.LastEvaluatedKey;
    } while (startKey && found.length < limit);
    return found.slice(0, limit);
  }
}
