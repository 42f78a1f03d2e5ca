/**
 * Scheduled work: everything that talks to AWS, and everything time-driven.
 * Jobs are durable; each handler re-reads the request and does nothing when its
 * moment has passed, so a job that runs twice (a crash, a lapsed lease) is harmless.
 */
import { failedBeforeRootSession, RootTaskError } from '../aws/errors.js';
import type { DeletionResult } from '../aws/root-task-results.js';
import { describeAudit, describeDeletion } from '../aws/root-task-text.js';
import { contentHash } from '../domain/content-hash.js';
import { formatDuration } from '../domain/durations.js';
import { type BreakglassRequest, opensWindow } from '../domain/request.js';
import { CLEANUP_ALERT_AFTER_FAILURES, cleanupRetryDelayMs, reminderAt } from '../domain/schedule.js';
import type { Job } from '../store/store.js';
import type { WorkflowCore } from './core.js';

const ACTOR = 'scheduler';
const NO_EVIDENCE = { requestIds: [], rootSessions: [] };

export class JobRunner {
  constructor(private readonly core: WorkflowCore) {}

  private get deps() {
    return this.core.deps;
  }

  /** Runs one claimed job; returns a time to run it again, or nothing when it is done. */
  async run(job: Job): Promise<{ retryAt?: number }> {
    switch (job.kind) {
      case 'preview':
        return this.preview(job.requestId);
      case 'execute':
        return this.execute(job.requestId);
      case 'cleanup':
        return this.cleanup(job.requestId);
      case 'remind':
        return this.remind(job.requestId);
      case 'nudge':
        return this.nudge(job.requestId);
      case 'expire':
        return this.expire(job.requestId);
    }
  }

  /** Posts the request, then loads what approvers must see before they approve. */
  private async preview(id: string): Promise<{ retryAt?: number }> {
    let stored = await this.deps.store.getRequest(id);
    if (stored?.request.state !== 'pending') return {};
    if (!stored.message) {
      const message = await this.deps.announcer.post(stored);
      await this.deps.store.setMessage(id, message);
      stored = { ...stored, message };
    }
    const preview = await this.loadPreview(stored.request);
    const result = await this.core.mutate(id, (r) => {
      if (r.state !== 'pending') return { unchanged: undefined };
      const next: BreakglassRequest = { ...r, preview };
      return { next: { ...next, contentHash: contentHash(next) }, value: undefined };
    });
    if (result.ok) await this.core.refresh(result.stored);
    return {};
  }

  private async loadPreview(r: BreakglassRequest): Promise<NonNullable<BreakglassRequest['preview']>> {
    try {
      // Every root session is in the audit trail, these read-only ones included.
      const audit = await this.deps.tasks.auditRootCredentials(r.accountId);
      const rootCredentials = describeAudit(audit);
      if ((r.task === 'unlock-s3' || r.task === 'unlock-sqs') && r.target) {
        const read = await this.deps.tasks.readPolicy(r.accountId, r.task, r.target);
        await this.core.audit(r.id, ACTOR, 'previewed', {
          rootCredentials,
          policy: read.policy,
          evidence: [audit.evidence, read.evidence],
        });
        return { status: 'ready', rootCredentials, policy: read.policy };
      }
      await this.core.audit(r.id, ACTOR, 'previewed', { rootCredentials, evidence: [audit.evidence] });
      return { status: 'ready', rootCredentials };
    } catch (error) {
      const e = asTaskError(error);
      await this.core.audit(r.id, ACTOR, 'preview failed', e.toJSON());
      return { status: 'failed', error: e.message };
    }
  }

  private async execute(id: string): Promise<{ retryAt?: number }> {
    const stored = await this.deps.store.getRequest(id);
    if (stored?.request.state !== 'executing') return {};
    const r = stored.request;
    const dry = this.deps.settings.dryRun ? ' (dry run: nothing was changed in AWS)' : '';
    try {
      const outcome = await this.runTask(r);
      const now = this.core.now();
      await this.core.audit(id, ACTOR, 'executed', outcome.details);
      const granted = opensWindow(r.task);
      const windowEndsAt = now + r.durationSeconds * 1000;
      const result = await this.core.mutate(id, (cur) => {
        if (cur.state !== 'executing') return { unchanged: undefined };
        const summary = outcome.summary + dry;
        if (!granted)
          return {
            next: {
              ...cur,
              state: outcome.ok ? 'completed' : 'failed',
              outcome: { ok: outcome.ok, summary, at: now },
            },
            value: undefined,
          };
        return {
          next: {
            ...cur,
            state: 'active',
            grantedAt: now,
            windowEndsAt,
            outcome: { ok: true, summary, at: now },
          },
          effects: {
            schedule: [
              { kind: 'remind', dueAt: reminderAt(now, windowEndsAt, this.deps.settings) },
              { kind: 'cleanup', dueAt: windowEndsAt },
            ],
          },
          value: undefined,
        };
      });
      if (!result.ok || !result.changed) return {};
      await this.core.refresh(result.stored);
      await this.core.announce('executed thread', () =>
        this.deps.announcer.thread(result.stored, { kind: 'executed', request: result.stored.request }),
      );
      if (granted) {
        const account = await this.deps.accounts.find(r.accountId);
        const notice = {
          kind: 'granted' as const,
          request: result.stored.request,
          rootEmail: account?.email,
        };
        await this.core.announce('granted dm', () => this.deps.announcer.dm(r.requesterId, notice));
      }
      return {};
    } catch (error) {
      return this.executionFailed(id, asTaskError(error), failedBeforeRootSession(error));
    }
  }

  /** A failed grant still schedules cleanup unless the failure came before any root session. */
  private async executionFailed(
    id: string,
    error: RootTaskError,
    nothingGranted: boolean,
  ): Promise<{ retryAt?: number }> {
    const now = this.core.now();
    await this.core.audit(id, ACTOR, 'execution failed', error.toJSON());
    const result = await this.core.mutate<boolean>(id, (cur) => {
      if (cur.state !== 'executing') return { unchanged: false };
      const outcome = { ok: false, summary: error.message, at: now };
      if (nothingGranted || !opensWindow(cur.task))
        return { next: { ...cur, state: 'failed', outcome }, value: false };
      return {
        next: { ...cur, state: 'cleaning', outcome },
        effects: { schedule: [{ kind: 'cleanup', dueAt: now }] },
        value: true,
      };
    });
    if (!result.ok || !result.changed) return {};
    await this.core.refresh(result.stored);
    const notice = {
      kind: 'execution-failed' as const,
      request: result.stored.request,
      error: error.message,
      remediation: error.remediation,
      cleanupScheduled: result.value,
    };
    await this.core.announce('failure thread', () => this.deps.announcer.thread(result.stored, notice));
    await this.core.announce('failure dm', () =>
      this.deps.announcer.dm(result.stored.request.requesterId, notice),
    );
    return {};
  }

  private async runTask(
    r: BreakglassRequest,
  ): Promise<{ ok: boolean; summary: string; details: Record<string, unknown> }> {
    const tasks = this.deps.tasks;
    switch (r.task) {
      case 'password-recovery': {
        const res = await tasks.allowPasswordRecovery(r.accountId);
        const summary = res.created
          ? `Root password recovery enabled for ${formatDuration(r.durationSeconds)}.`
          : `Root password recovery was already enabled; the window lasts ${formatDuration(r.durationSeconds)}.`;
        return { ok: true, summary, details: { created: res.created, evidence: res.evidence } };
      }
      case 'unlock-s3':
      case 'unlock-sqs': {
        const target = r.target ?? '';
        const res =
          r.task === 'unlock-s3'
            ? await tasks.unlockS3BucketPolicy(r.accountId, target)
            : await tasks.unlockSqsQueuePolicy(r.accountId, target);
        const summary = res.removed
          ? `Removed the policy of ${res.resource}; the previous policy is in the audit trail for restore.`
          : `${res.resource} had no policy: nothing to remove.`;
        return {
          ok: true,
          summary,
          details: {
            resource: res.resource,
            removed: res.removed,
            previousPolicy: res.previousPolicy,
            evidence: res.evidence,
          },
        };
      }
      case 'delete-credentials': {
        const res = await tasks.deleteRootCredentials(r.accountId);
        const ok = res.verified && !res.error;
        return {
          ok,
          summary: describeDeletion(res),
          details: { removed: res.removed, verified: res.verified, error: res.error, evidence: res.evidence },
        };
      }
    }
  }

  /** Deletes root credentials and verifies; retries with backoff and alerts after repeated failure. */
  private async cleanup(id: string): Promise<{ retryAt?: number }> {
    const stored = await this.deps.store.getRequest(id);
    const state = stored?.request.state;
    if (!stored || (state !== 'active' && state !== 'cleaning')) return {};
    if (state === 'active') {
      const moved = await this.core.mutate(id, (cur) =>
        cur.state === 'active'
          ? { next: { ...cur, state: 'cleaning' }, effects: { cancel: ['remind'] }, value: undefined }
          : { unchanged: undefined },
      );
      if (moved.ok) await this.core.refresh(moved.stored);
    }
    const result = await this.deleteCredentials(stored.request.accountId);
    if (result.verified && !result.error) {
      await this.cleanupVerified(id, result);
      return {};
    }
    const failures = await this.cleanupFailed(id, result);
    return {
      retryAt: this.core.now() + cleanupRetryDelayMs(failures, this.deps.settings.cleanupRetryBaseMs),
    };
  }

  /** The deletion's result; an error thrown before any deletion becomes a result with `error` set. */
  private async deleteCredentials(accountId: string): Promise<DeletionResult> {
    try {
      return await this.deps.tasks.deleteRootCredentials(accountId);
    } catch (error) {
      const { kind, message, remediation } = asTaskError(error);
      const removed = { loginProfile: false, accessKeys: [], signingCertificates: [], mfaDevices: [] };
      return {
        accountId,
        removed,
        verified: false,
        error: { kind, message, remediation },
        errors: [{ kind, message, remediation }],
        evidence: NO_EVIDENCE,
      };
    }
  }

  private async cleanupVerified(id: string, result: DeletionResult): Promise<void> {
    const summary = describeDeletion(result);
    const now = this.core.now();
    await this.core.audit(id, ACTOR, 'cleanup verified', {
      removed: result.removed,
      evidence: result.evidence,
    });
    const done = await this.core.mutate(id, (cur) =>
      cur.state === 'cleaning'
        ? {
            next: {
              ...cur,
              state: 'closed',
              cleanup: { ...(cur.cleanup ?? { failures: 0 }), summary, verifiedAt: now },
            },
            effects: { cancel: ['remind'] },
            value: undefined,
          }
        : { unchanged: undefined },
    );
    if (!done.ok || !done.changed) return;
    await this.core.refresh(done.stored);
    const notice = { kind: 'cleanup-verified' as const, request: done.stored.request, removed: summary };
    await this.core.announce('cleanup announcement', () => this.deps.announcer.channel(notice));
  }

  /** Records the failure, alerts the channel once after repeated failures; returns the failure count. */
  private async cleanupFailed(id: string, result: DeletionResult): Promise<number> {
    const message = result.error?.message ?? 'verification found root credentials left';
    await this.core.audit(id, ACTOR, 'cleanup failed', {
      error: result.error,
      removed: result.removed,
      evidence: result.evidence,
    });
    const failed = await this.core.mutate<{ failures: number; alert: boolean }>(id, (cur) => {
      if (cur.state !== 'cleaning')
        return { unchanged: { failures: cur.cleanup?.failures ?? 1, alert: false } };
      const failures = (cur.cleanup?.failures ?? 0) + 1;
      const alert = failures >= CLEANUP_ALERT_AFTER_FAILURES && !cur.cleanup?.alerted;
      const cleanup = {
        ...cur.cleanup,
        failures,
        lastError: message,
        alerted: Boolean(cur.cleanup?.alerted) || alert,
      };
      return { next: { ...cur, cleanup }, value: { failures, alert } };
    });
    if (!failed.ok) return 1;
    if (failed.changed) {
      await this.core.refresh(failed.stored);
      const notice = {
        kind: 'cleanup-failed' as const,
        request: failed.stored.request,
        error: message,
        alert: failed.value.alert,
      };
      await this.core.announce('cleanup failure', () =>
        failed.value.alert
          ? this.deps.announcer.channel(notice)
          : this.deps.announcer.thread(failed.stored, notice),
      );
    }
    return failed.value.failures;
  }

  private async remind(id: string): Promise<{ retryAt?: number }> {
    const stored = await this.deps.store.getRequest(id);
    if (stored?.request.state !== 'active') return {};
    await this.core.audit(id, ACTOR, 'reminded');
    await this.deps.announcer.dm(stored.request.requesterId, { kind: 'reminder', request: stored.request });
    return {};
  }

  private async nudge(id: string): Promise<{ retryAt?: number }> {
    const stored = await this.deps.store.getRequest(id);
    if (stored?.request.state !== 'pending') return {};
    await this.deps.announcer.thread(stored, { kind: 'nudge', request: stored.request });
    return {};
  }

  private async expire(id: string): Promise<{ retryAt?: number }> {
    const result = await this.core.mutate(id, (cur) =>
      cur.state === 'pending'
        ? { next: { ...cur, state: 'expired' }, effects: { cancel: ['preview', 'nudge'] }, value: undefined }
        : { unchanged: undefined },
    );
    if (!result.ok || !result.changed) return {};
    await this.core.audit(id, ACTOR, 'expired');
    await this.core.refresh(result.stored);
    await this.core.announce('expiry dm', () =>
      this.deps.announcer.dm(result.stored.request.requesterId, {
        kind: 'expired',
        request: result.stored.request,
      }),
    );
    return {};
  }
}

function asTaskError(error: unknown): RootTaskError {
  return error instanceof RootTaskError
    ? error
    : new RootTaskError('unexpected', error instanceof Error ? error.message : String(error));
}
