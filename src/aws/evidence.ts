import { classifyAwsError, RootTaskError } from './errors.js';
import type { RootTask } from './task-policies.js';

/** What links a bot action to CloudTrail: AWS request ids and root-session access key ids. Never secrets. */
export interface Evidence {
  requestIds: string[];
  rootSessions: { task: RootTask; accessKeyId: string }[];
}

interface WithMetadata {
  $metadata: { requestId?: string };
}

/** Collects evidence of every AWS call of one operation and classifies its failures. */
export class EvidenceLog {
  readonly requestIds: string[] = [];
  readonly rootSessions: Evidence['rootSessions'] = [];

  async call<T extends WithMetadata>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      const output = await run();
      if (output.$metadata.requestId) this.requestIds.push(output.$metadata.requestId);
      return output;
    } catch (error) {
      const classified = classifyAwsError(error, action);
      if (classified.details.requestId) this.requestIds.push(classified.details.requestId);
      throw classified;
    }
  }

  /** Like `call`, but an error with one of `codes` means "already so" and yields undefined. */
  async tolerate<T extends WithMetadata>(
    codes: ReadonlySet<string>,
    action: string,
    run: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await this.call(action, run);
    } catch (error) {
      if (error instanceof RootTaskError && codes.has(error.details.code ?? '')) return undefined;
      throw error;
    }
  }

  snapshot(): Evidence {
    return { requestIds: [...this.requestIds], rootSessions: [...this.rootSessions] };
  }
}

export const ABSENT = new Set(['NoSuchEntity', 'NoSuchEntityException']);
export const ALREADY_EXISTS = new Set(['EntityAlreadyExists', 'EntityAlreadyExistsException']);
