/** The break-glass workflow: user actions, scheduled jobs and queries, behind one object. */
import type { BreakglassRequest, TaskKind } from '../domain/request.js';
import type { Job, OutboxItem, StoredRequest } from '../store/store.js';
import { WorkflowCore, type WorkflowDeps } from './core.js';
import type { DeliveryError } from './delivery-error.js';
import { Hardenings, isHardeningListFile } from './hardening.js';
import { JobRunner } from './jobs.js';
import { OrgAudits } from './org-audits.js';
import { RequestActions } from './request-actions.js';
import { handleUndeliverable } from './undeliverable.js';

export class BreakglassWorkflow {
  readonly core: WorkflowCore;
  readonly actions: RequestActions;
  /** org-wide audits (`/breakglass audit all`) */
  readonly orgAudits: OrgAudits;
  /** bulk hardening (`/breakglass harden`, the audit summary's button; drift alerts' Clean up) */
  readonly hardenings: Hardenings;
  private readonly jobs: JobRunner;

  constructor(deps: WorkflowDeps) {
    this.core = new WorkflowCore(deps);
    this.actions = new RequestActions(this.core);
    this.orgAudits = new OrgAudits(this.core);
    this.hardenings = new Hardenings(this.core);
    this.jobs = new JobRunner(this.core);
  }

  get settings() {
    return this.core.deps.settings;
  }

  /** What the request modal offers: with a policy file, every duration and task some rule allows. */
  choices(): { durationsSeconds: readonly number[]; tasks?: readonly TaskKind[] } {
    return this.core.deps.routing?.choices ?? this.settings;
  }

  /** Who decides this request (its rule's approvers); undefined: the configured approvers. */
  approversOf(request: BreakglassRequest): readonly string[] | undefined {
    return this.core.approversOf(request);
  }

  runJob(job: Job, signal?: AbortSignal): Promise<{ retryAt?: number }> {
    return this.jobs.run(job, signal);
  }

  /** The outbox delivered a notice (called for those that move a workflow on: a hardening's list). */
  async delivered(item: OutboxItem): Promise<void> {
    if (isHardeningListFile(item.delivery)) await this.hardenings.listShared(item.requestId);
  }

  /** Slack refused a notice for good: cancel what cannot go on, tell a person another way. */
  undeliverable(item: OutboxItem, error: DeliveryError): Promise<void> {
    return handleUndeliverable(this.core, item, error);
  }

  async get(id: string): Promise<StoredRequest | undefined> {
    return this.core.deps.store.getRequest(id.trim().toUpperCase());
  }

  /**
   * What the App Home shows a user. Approvers see what waits for them and every
   * open window and recent request; anyone else sees only their own requests.
   */
  async overview(userId: string): Promise<Overview> {
    const store = this.core.deps.store;
    const isApprover = await this.core.deps.auth.isApprover(userId);
    const own = isApprover ? {} : { requesterId: userId };
    const pending = isApprover ? await store.listRequests({ states: ['pending'], limit: 20 }) : [];
    const active = await store.listRequests({
      states: ['executing', 'active', 'cleaning'],
      limit: 20,
      ...own,
    });
    const recent = await store.listRequests({ limit: 10, ...own });
    const waiting = pending
      .map((s) => s.request)
      .filter((r) => r.requesterId !== userId && !r.approvals.some((a) => a.userId === userId));
    // Only what this approver may decide: with a policy file, the request's rule says who.
    const decides = await Promise.all(
      waiting.map((r) => this.core.deps.auth.isApprover(userId, this.core.approversOf(r))),
    );
    // "Done" only where this viewer may end the window: their own, or one their rule approves.
    const open = active.map((s) => s.request).filter((r) => r.state === 'active');
    const ends = await Promise.all(
      open.map(
        async (r) =>
          r.requesterId === userId ||
          (isApprover && (await this.core.deps.auth.isApprover(userId, this.core.approversOf(r)))),
      ),
    );
    return {
      isApprover,
      toApprove: waiting.filter((_, i) => decides[i]),
      active: active.map((s) => s.request),
      recent: recent.map((s) => s.request),
      mayEnd: open.filter((_, i) => ends[i]).map((r) => r.id),
    };
  }

  /** The latest requests, whoever asked (operators, tests); people in Slack get `visibleList`. */
  async list(limit = 15): Promise<BreakglassRequest[]> {
    return (await this.core.deps.store.listRequests({ limit })).map((s) => s.request);
  }

  /** The latest requests `viewerId` may see: all for an approver, else their own. */
  async visibleList(
    viewerId: string,
    limit = 15,
  ): Promise<{ isApprover: boolean; requests: BreakglassRequest[] }> {
    const isApprover = await this.core.deps.auth.isApprover(viewerId);
    const stored = await this.core.deps.store.listRequests({
      limit,
      ...(isApprover ? {} : { requesterId: viewerId }),
    });
    return { isApprover, requests: stored.map((s) => s.request) };
  }

  /** The latest request `userId` made, if any. */
  async latestOf(userId: string): Promise<BreakglassRequest | undefined> {
    return (await this.core.deps.store.listRequests({ requesterId: userId, limit: 1 }))[0]?.request;
  }

  /**
   * A request if `viewerId` may see it; undefined both when it does not exist
   * and when it is someone else's and the viewer is no approver, so that an
   * answer never tells whether an id exists.
   */
  async visibleRequest(viewerId: string, id: string): Promise<BreakglassRequest | undefined> {
    const isApprover = await this.core.deps.auth.isApprover(viewerId);
    const request = (await this.get(id))?.request;
    return request && mayView(request, viewerId, isApprover) ? request : undefined;
  }
}

export interface Overview {
  /** false: the lists hold only the viewer's own requests */
  isApprover: boolean;
  toApprove: BreakglassRequest[];
  active: BreakglassRequest[];
  recent: BreakglassRequest[];
  /** ids of the active windows this viewer may end (theirs, or approved under the request's rule) */
  mayEnd: string[];
}

/** Approvers see every request; anyone else only their own. Pure. */
export function mayView(request: BreakglassRequest, viewerId: string, isApprover: boolean): boolean {
  return isApprover || request.requesterId === viewerId;
}
