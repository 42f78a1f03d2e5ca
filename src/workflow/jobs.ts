/**
 * Scheduled work: everything that talks to AWS, and everything time-driven.
 * Jobs are durable; each handler re-reads the request and does nothing when its
 * moment has passed, so a job that runs twice (a crash, a lapsed lease) is harmless.
 * Jobs never call Slack: what people should hear is written to the outbox in the
 * same transaction as the state change, and delivered by its own worker.
 */
import { asTaskError, nothingGranted, RootTaskError } from '../aws/errors.js';
import type { DeletionResult } from '../aws/root-task-results.js';
import { credentialItems, describeAudit, describeDeletion } from '../aws/root-task-text.js';
import { formatDuration } from '../domain/durations.js';
import type { Delivery, Notice } from '../domain/notice.js';
import { withPreview } from '../domain/preview.js';
import { type BreakglassRequest, opensWindow } from '../domain/request.js';
import { CLEANUP_ALERT_AFTER_FAILURES, cleanupRetryDelayMs, reminderAt } from '../domain/schedule.js';
import { emitMetric } from '../metrics.js';
import type { Job } from '../store/store.js';
import { UPDATE_MESSAGE, type WorkflowCore } from './core.js';
import { HardeningJobs } from './hardening-jobs.js';
import { OrgAudits } from './org-audits.js';

const ACTOR = 'scheduler';
const NO_EVIDENCE = { requestIds: [], rootSessions: [] };
/** A deletion that reported no error but could not verify that nothing is left. */
const UNVERIFIED_REMEDIATION =
  'Some root credentials may remain: request the deletion again, and check the bot with `breakglass doctor` if it fails again.';

type JobResult = { retryAt?: number };

export class JobRunner {
  private readonly orgAudits: OrgAudits;
  private readonly hardenings: HardeningJobs;

  constructor(private readonly core: WorkflowCore) {
    this.orgAudits = new OrgAudits(core);
    this.hardenings = new HardeningJobs(core);
  }

  private get deps() {
    return this.core.deps;
  }

  /** Runs one claimed job; returns a time to run it again, or nothing when it is done. */
  async run(job: Job, signal?: AbortSignal): Promise<JobResult> {
    switch (job.kind) {
      case 'org-audit':
        // `requestId` is the audit's id; a shutdown (signal) stops it between accounts, to resume later.
        return this.orgAudits.run(job.requestId, job.attempts, signal);
      case 'audit-schedule':
        // The scheduled org-wide audit (drift detection): one fixed job per deployment.
        return this.orgAudits.startScheduled();
      case 'harden-preview':
        return this.hardenings.preview(job.requestId);
      case 'harden-run':
        // A shutdown stops starting accounts; the next process resumes the unfinished ones.
        return this.hardenings.run(job.requestId, signal);
      case 'harden-expire':
        return this.hardenings.expire(job.requestId);
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

  /** Loads what approvers must see before they approve (the message itself is posted by the outbox). */
  private async preview(id: string): Promise<JobResult> {
    const stored = await this.deps.store.getRequest(id);
    if (stored?.request.state !== 'pending') return {};
    const preview = await this.loadPreview(stored.request);
    const done = await this.core.mutate<string[]>(id, (r) => {
      if (r.state !== 'pending') return { unchanged: [] };
      // Approvals given to other content are cleared: they approved something else.
      const { request: next, clearedApprovals } = withPreview(r, preview);
      const cleared = clearedApprovals.map((a) => a.userId);
      const notify: Delivery[] = [UPDATE_MESSAGE];
      if (cleared.length)
        notify.push({ to: 'thread', notice: { kind: 'approvals-cleared', request: next, cleared } });
      return { next, effects: { notify }, value: cleared };
    });
    if (done.ok && done.value.length) {
      await this.core.audit(id, ACTOR, 'approvals cleared', {
        cleared: done.value,
        contentHash: done.stored.request.contentHash,
      });
    }
    return {};
  }

  private async loadPreview(r: BreakglassRequest): Promise<NonNullable<BreakglassRequest['preview']>> {
    try {
      // Every root session is in the audit trail, these read-only ones included.
      const audit = await this.deps.tasks.auditRootCredentials(r.accountId);
      const rootCredentials = describeAudit(audit);
      const credentials = credentialItems(audit);
      if ((r.task === 'unlock-s3' || r.task === 'unlock-sqs') && r.target) {
        const read = await this.deps.tasks.readPolicy(r.accountId, r.task, r.target);
        await this.core.audit(r.id, ACTOR, 'previewed', {
          rootCredentials,
          policy: read.policy,
          ...(read.lastModifiedAt ? { queueLastModifiedAt: read.lastModifiedAt } : {}),
          evidence: [audit.evidence, read.evidence],
        });
        return {
          status: 'ready',
          rootCredentials,
          credentials,
          policy: read.policy,
          ...(read.lastModifiedAt ? { queueLastModifiedAt: read.lastModifiedAt } : {}),
        };
      }
      // Password recovery: approvers see whose mailbox can sign in (the address from Organizations).
      const rootEmail = r.task === 'password-recovery' ? await this.rootEmail(r.accountId) : undefined;
      await this.core.audit(r.id, ACTOR, 'previewed', {
        rootCredentials,
        credentials,
        rootEmail,
        evidence: [audit.evidence],
      });
      return { status: 'ready', rootCredentials, credentials, ...(rootEmail ? { rootEmail } : {}) };
    } catch (error) {
      const e = asTaskError(error);
      await this.core.audit(r.id, ACTOR, 'preview failed', e.toJSON());
      return { status: 'failed', error: e.message };
    }
  }

  /** The account's root email from Organizations; undefined when it cannot be read (the message says where to look). */
  private async rootEmail(accountId: string): Promise<string | undefined> {
    try {
      return (await this.deps.accounts.find(accountId))?.email;
    } catch {
      return undefined;
    }
  }

  /**
   * Runs the approved task. The attempt is counted durably before any AWS call:
   * a re-run after a crash cannot tell whether the first run granted, so from
   * the second attempt on, a failure always ends in cleanup.
   */
  private async execute(id: string): Promise<JobResult> {
    const startedAt = this.core.now();
    const started = await this.core.mutate(id, (cur) =>
      cur.state === 'executing'
        ? {
            next: {
              ...cur,
              executeAttempts: (cur.executeAttempts ?? 0) + 1,
              firstExecuteAt: cur.firstExecuteAt ?? startedAt,
            },
            value: undefined,
          }
        : { refuse: 'not executing' },
    );
    if (!started.ok) return {};
    const r = started.stored.request;
    const attempt = r.executeAttempts ?? 1;
    this.core.boundary('execute:before-task');
    let outcome: TaskOutcome;
    try {
      outcome = await this.runTask(r);
      this.core.boundary('execute:after-task');
    } catch (error) {
      return this.executionFailed(id, asTaskError(error), attempt === 1 && nothingGranted(error), attempt);
    }
    await this.core.audit(id, ACTOR, 'executed', outcome.details);
    if (opensWindow(r.task)) return this.granted(id, outcome);
    const now = this.core.now();
    await this.core.mutate(id, (cur) => {
      if (cur.state !== 'executing') return { unchanged: undefined };
      const next: BreakglassRequest = {
        ...cur,
        state: outcome.ok ? 'completed' : 'failed',
        outcome: { ok: outcome.ok, summary: outcome.summary + this.dryRunNote(), at: now },
      };
      const notify: Delivery[] = [UPDATE_MESSAGE, { to: 'thread', notice: executedNotice(next) }];
      // A task that ran and failed is told to the requester as one that threw is, with the same write.
      if (!outcome.ok)
        notify.push({
          to: 'dm',
          userId: cur.requesterId,
          notice: {
            kind: 'execution-failed',
            request: next,
            error: outcome.summary,
            remediation: outcome.remediation ?? UNVERIFIED_REMEDIATION,
            cleanupScheduled: false,
          },
        });
      return { next, effects: { notify }, value: undefined };
    });
    return {};
  }

  /** The window opens: the cleanup job (already scheduled as a fallback) moves to the window's end. */
  private async granted(id: string, outcome: TaskOutcome): Promise<JobResult> {
    const now = this.core.now();
    const account = await this.deps.accounts.find(
      (await this.deps.store.getRequest(id))?.request.accountId ?? '',
    );
    const opened = await this.core.mutate(id, (cur) => {
      if (cur.state === 'cleaning' || cur.state === 'closed' || cur.state === 'failed') {
        // A cleanup began (or an older attempt gave up) while this grant was in flight: the grant
        // may have landed after that cleanup verified, so a new round must clean up again.
        return {
          next: { ...cur, state: 'cleaning', cleanupRound: (cur.cleanupRound ?? 0) + 1 },
          effects: { schedule: [{ kind: 'cleanup', dueAt: now }], notify: [UPDATE_MESSAGE] },
          value: undefined,
        };
      }
      if (cur.state !== 'executing') return { unchanged: undefined };
      // The window runs from the first attempt: a re-run after a crash does not stretch it.
      const grantedAt = Math.min(now, cur.firstExecuteAt ?? now);
      const windowEndsAt = grantedAt + cur.durationSeconds * 1000;
      const next: BreakglassRequest = {
        ...cur,
        state: 'active',
        grantedAt,
        windowEndsAt,
        outcome: { ok: true, summary: outcome.summary + this.dryRunNote(), at: now },
      };
      return {
        next,
        effects: {
          schedule: [
            { kind: 'remind', dueAt: reminderAt(grantedAt, windowEndsAt, this.deps.settings) },
            { kind: 'cleanup', dueAt: windowEndsAt },
          ],
          notify: [
            UPDATE_MESSAGE,
            { to: 'thread', notice: executedNotice(next) },
            {
              to: 'dm',
              userId: next.requesterId,
              notice: { kind: 'granted', request: next, rootEmail: account?.email },
            },
          ],
        },
        value: undefined,
      };
    });
    if (opened.ok && opened.changed && opened.stored.request.state === 'active') {
      const r = opened.stored.request;
      this.deps.log.info(
        {
          requestId: id,
          accountId: r.accountId,
          task: r.task,
          windowEndsAt: new Date(r.windowEndsAt ?? 0).toISOString(),
        },
        'root access granted',
      );
      emitMetric(this.deps.log, 'Granted', 1, { requestId: id });
    }
    return {};
  }

  private dryRunNote(): string {
    return this.deps.settings.dryRun ? ' (dry run: nothing was changed in AWS)' : '';
  }

  /** A failed grant ends in cleanup unless the failure proves nothing was granted. */
  private async executionFailed(
    id: string,
    error: RootTaskError,
    provenNothing: boolean,
    attempt: number,
  ): Promise<JobResult> {
    const now = this.core.now();
    await this.core.audit(id, ACTOR, 'execution failed', error.toJSON());
    await this.core.mutate(id, (cur) => {
      if (cur.state !== 'executing') return { unchanged: undefined };
      const outcome = { ok: false, summary: error.message, at: now };
      // A newer attempt (this one's lease lapsed) may be granting right now: only the latest decides.
      const latest = (cur.executeAttempts ?? 1) === attempt;
      const cleanup = opensWindow(cur.task) && !(provenNothing && latest);
      const next: BreakglassRequest = { ...cur, state: cleanup ? 'cleaning' : 'failed', outcome };
      const notice: Notice = {
        kind: 'execution-failed',
        request: next,
        error: error.message,
        remediation: error.remediation,
        cleanupScheduled: cleanup,
      };
      const notify: Delivery[] = [
        UPDATE_MESSAGE,
        { to: 'thread', notice },
        { to: 'dm', userId: cur.requesterId, notice },
      ];
      return {
        next,
        effects: cleanup
          ? { schedule: [{ kind: 'cleanup', dueAt: now }], notify }
          : { cancel: ['cleanup'], notify },
        value: undefined,
      };
    });
    return {};
  }

  private async runTask(r: BreakglassRequest): Promise<TaskOutcome> {
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
        // The unlock removes only the policy approvers saw; a preview that could not read it approved none.
        if (r.policyHash === undefined) {
          throw new RootTaskError(
            'changed-since-approval',
            'approvers never saw the policy to remove (it could not be read before approval)',
          );
        }
        const res =
          r.task === 'unlock-s3'
            ? await tasks.unlockS3BucketPolicy(r.accountId, target, r.policyHash)
            : await tasks.unlockSqsQueuePolicy(r.accountId, target, r.policyHash);
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
        const errors = res.errors.length ? res.errors : res.error ? [res.error] : [];
        const hints = [...new Set(errors.map((e) => e.remediation))].join(' ');
        return {
          ok,
          summary: describeDeletion(res),
          ...(hints ? { remediation: hints } : {}),
          details: { removed: res.removed, verified: res.verified, error: res.error, evidence: res.evidence },
        };
      }
    }
  }

  /**
   * Deletes root credentials and verifies, then records the result and the
   * notices in one write: the deletion never waits on Slack. Retries with
   * back-off and alerts after repeated failure.
   */
  private async cleanup(id: string): Promise<JobResult> {
    const moved = await this.core.mutate(id, (cur) => {
      if (cur.state === 'cleaning') return { unchanged: undefined };
      // `executing`: the fallback cleanup of a grant that never finished; the window's bound has passed.
      if (cur.state !== 'active' && cur.state !== 'executing') return { refuse: 'nothing to clean up' };
      return {
        next: { ...cur, state: 'cleaning' },
        effects: { cancel: ['remind', 'execute'], notify: [UPDATE_MESSAGE] },
        value: undefined,
      };
    });
    if (!moved.ok) return {};
    const round = moved.stored.request.cleanupRound ?? 0;
    this.core.boundary('cleanup:before-delete');
    const result = await this.deleteCredentials(moved.stored.request.accountId);
    this.core.boundary('cleanup:after-delete');
    if (result.verified && !result.error) {
      // A grant that landed during this run started a new round: run again rather than close.
      return (await this.cleanupVerified(id, result, round)) ? {} : { retryAt: this.core.now() };
    }
    const failures = await this.cleanupFailed(id, result);
    return {
      retryAt: this.core.now() + cleanupRetryDelayMs(failures, this.deps.settings.cleanupRetryBaseMs),
    };
  }

  /** The deletion's result; an error thrown before any deletion becomes a result with `error` set. */
  private async deleteCredentials(accountId: string): Promise<DeletionResult> {
    try {
      return await this.deps.tasks.deleteRootCredentials(accountId, { windowCleanup: true });
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

  /** Closes the window if no grant landed since this cleanup round began; false when one did. */
  private async cleanupVerified(id: string, result: DeletionResult, round: number): Promise<boolean> {
    const summary = describeDeletion(result);
    const now = this.core.now();
    await this.core.audit(id, ACTOR, 'cleanup verified', {
      removed: result.removed,
      evidence: result.evidence,
    });
    const closed = await this.core.mutate<boolean>(id, (cur) => {
      if (cur.state !== 'cleaning') return { unchanged: true };
      if ((cur.cleanupRound ?? 0) !== round) return { unchanged: false };
      const next: BreakglassRequest = {
        ...cur,
        state: 'closed',
        cleanup: { ...(cur.cleanup ?? { failures: 0 }), summary, verifiedAt: now },
      };
      return {
        next,
        effects: {
          cancel: ['remind'],
          notify: [
            UPDATE_MESSAGE,
            { to: 'channel', notice: { kind: 'cleanup-verified', request: next, removed: summary } },
          ],
        },
        value: true,
      };
    });
    if (closed.ok && closed.changed) {
      this.deps.log.info(
        { requestId: id, accountId: result.accountId, removed: result.removed },
        'cleanup verified',
      );
      emitMetric(this.deps.log, 'CleanupVerified', 1, { requestId: id });
    }
    return !closed.ok || closed.value;
  }

  /** Records the failure, alerts the channel once after repeated failures; returns the failure count. */
  private async cleanupFailed(id: string, result: DeletionResult): Promise<number> {
    const message = result.error?.message ?? 'verification found root credentials left';
    this.deps.log.error(
      { requestId: id, accountId: result.accountId, error: message, removed: result.removed },
      'cleanup failed; will retry',
    );
    emitMetric(this.deps.log, 'CleanupFailed', 1, { requestId: id });
    await this.core.audit(id, ACTOR, 'cleanup failed', {
      error: result.error,
      removed: result.removed,
      evidence: result.evidence,
    });
    const failed = await this.core.mutate<number>(id, (cur) => {
      if (cur.state !== 'cleaning') return { unchanged: cur.cleanup?.failures ?? 1 };
      const failures = (cur.cleanup?.failures ?? 0) + 1;
      const alert = failures >= CLEANUP_ALERT_AFTER_FAILURES && !cur.cleanup?.alerted;
      const next: BreakglassRequest = {
        ...cur,
        cleanup: {
          ...cur.cleanup,
          failures,
          lastError: message,
          alerted: Boolean(cur.cleanup?.alerted) || alert,
        },
      };
      const notice: Notice = { kind: 'cleanup-failed', request: next, error: message, alert };
      return {
        next,
        // The alert is written with the failure that raised it: it cannot be marked sent and then lost.
        effects: { notify: [UPDATE_MESSAGE, alert ? { to: 'channel', notice } : { to: 'thread', notice }] },
        value: failures,
      };
    });
    return failed.ok ? failed.value : 1;
  }

  private async remind(id: string): Promise<JobResult> {
    const stored = await this.deps.store.getRequest(id);
    if (stored?.request.state !== 'active') return {};
    await this.core.audit(id, ACTOR, 'reminded');
    const request = stored.request;
    await this.core.notify(id, [
      { to: 'dm', userId: request.requesterId, notice: { kind: 'reminder', request } },
    ]);
    return {};
  }

  private async nudge(id: string): Promise<JobResult> {
    const stored = await this.deps.store.getRequest(id);
    if (stored?.request.state !== 'pending') return {};
    await this.core.notify(id, [{ to: 'thread', notice: { kind: 'nudge', request: stored.request } }]);
    return {};
  }

  private async expire(id: string): Promise<JobResult> {
    const result = await this.core.mutate(id, (cur) =>
      cur.state === 'pending'
        ? {
            next: { ...cur, state: 'expired' },
            effects: {
              cancel: ['preview', 'nudge'],
              notify: [
                UPDATE_MESSAGE,
                {
                  to: 'dm',
                  userId: cur.requesterId,
                  notice: { kind: 'expired', request: { ...cur, state: 'expired' } },
                },
              ],
            },
            value: undefined,
          }
        : { unchanged: undefined },
    );
    if (result.ok && result.changed) await this.core.audit(id, ACTOR, 'expired');
    return {};
  }
}

interface TaskOutcome {
  ok: boolean;
  summary: string;
  /** what to do when `ok` is false */
  remediation?: string;
  details: Record<string, unknown>;
}

function executedNotice(request: BreakglassRequest): Notice {
  return { kind: 'executed', request };
}
