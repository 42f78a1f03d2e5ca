/** The break-glass workflow: user actions, scheduled jobs and queries, behind one object. */
import type { BreakglassRequest } from '../domain/request.js';
import type { Job, OutboxItem, StoredRequest } from '../store/store.js';
import { WorkflowCore, type WorkflowDeps } from './core.js';
import type { DeliveryError } from './delivery-error.js';
import { JobRunner } from './jobs.js';
import { RequestActions } from './request-actions.js';
import { handleUndeliverable } from './undeliverable.js';

export class BreakglassWorkflow {
  readonly core: WorkflowCore;
  readonly actions: RequestActions;
  private readonly jobs: JobRunner;

  constructor(deps: WorkflowDeps) {
    this.core = new WorkflowCore(deps);
    this.actions = new RequestActions(this.core);
    this.jobs = new JobRunner(this.core);
  }

  get settings() {
    return this.core.deps.settings;
  }

  runJob(job: Job): Promise<{ retryAt?: number }> {
    return this.jobs.run(job);
  }

  /** Slack refused a notice for good: cancel what cannot go on, tell a person another way. */
  undeliverable(item: OutboxItem, error: DeliveryError): Promise<void> {
    return handleUndeliverable(this.core, item, error);
  }

  async get(id: string): Promise<StoredRequest | undefined> {
    return this.core.deps.store.getRequest(id.trim().toUpperCase());
  }

  /** What the App Home shows a user. */
  async overview(
    userId: string,
  ): Promise<{ toApprove: BreakglassRequest[]; active: BreakglassRequest[]; recent: BreakglassRequest[] }> {
    const store = this.core.deps.store;
    const isApprover = await this.core.deps.auth.isApprover(userId);
    const pending = isApprover ? await store.listRequests({ states: ['pending'], limit: 20 }) : [];
    const active = await store.listRequests({ states: ['executing', 'active', 'cleaning'], limit: 20 });
    const recent = await store.listRequests({ limit: 10 });
    return {
      toApprove: pending
        .map((s) => s.request)
        .filter((r) => r.requesterId !== userId && !r.approvals.some((a) => a.userId === userId)),
      active: active.map((s) => s.request),
      recent: recent.map((s) => s.request),
    };
  }

  async list(limit = 15): Promise<BreakglassRequest[]> {
    return (await this.core.deps.store.listRequests({ limit })).map((s) => s.request);
  }
}
