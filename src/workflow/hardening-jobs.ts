/**
 * The jobs of a bulk hardening (see hardening.ts for the request side): the
 * preview of every account, the deletion account by account in the bulk lane
 * with each result stored as it lands, retries with back-off, the verification
 * audit at the end, and the expiry of an unapproved request.
 */
import { asTaskError } from '../aws/errors.js';
import type { DeletionResult } from '../aws/root-task-results.js';
import { credentialItems, describeAudit } from '../aws/root-task-text.js';
import {
  countHardening,
  failedVerification,
  HARDEN_PROGRESS_EVERY_MS,
  type HardenAccount,
  type Hardening,
  hardeningHash,
  hardeningRetryDelayMs,
  heldAgain,
  unfinished,
} from '../domain/harden.js';
import type { WorkflowCore } from './core.js';
import { hardeningCsvFile } from './hardening.js';
import { ACTOR, bulkTasksOf, type Change, mutateHardening, UPDATE } from './hardening-change.js';
import { OpenWindowsCache, openWindows } from './open-windows.js';

/** Preview rows are stored at least every this many accounts. */
const PREVIEW_FLUSH = 50;
/** A round reads the open windows again when its copy is older than this (each account asks on its turn). */
const WINDOWS_MAX_AGE_MS = 1_000;

export class HardeningJobs {
  constructor(private readonly core: WorkflowCore) {}

  private get deps() {
    return this.core.deps;
  }

  private get store() {
    return this.deps.store;
  }

  private get bulk() {
    return bulkTasksOf(this.deps);
  }

  private mutate<T>(id: string, decide: (h: Hardening) => Change<T> | Promise<Change<T>>) {
    return mutateHardening(this.core, id, decide);
  }

  /** The `harden-expire` job: an unapproved request expires. */
  async expire(id: string): Promise<{ retryAt?: number }> {
    const done = await this.mutate(id, (h) =>
      h.state === 'pending'
        ? {
            next: { ...h, state: 'expired' as const },
            effects: { cancel: ['harden-preview'], notify: [UPDATE] },
            value: true,
          }
        : { unchanged: false },
    );
    if (done.ok && done.changed) await this.core.audit(id, ACTOR, 'expired');
    return {};
  }

  /** The `harden-preview` job: reads what is present on every account (bulk lane), then lets approvers approve. */
  async preview(id: string): Promise<{ retryAt?: number }> {
    const stored = await this.store.getHardening(id);
    if (stored?.hardening.state !== 'pending' || stored.hardening.preview === 'ready') return {};
    const rows = await this.store.hardenAccounts(id);
    const windows = await openWindows(this.store);
    const buffer: HardenAccount[] = [];
    const flush = () => this.store.putHardenAccounts(id, buffer.splice(0));
    await Promise.all(
      rows
        .filter((r) => r.present === undefined && r.previewError === undefined)
        .map(async (row) => {
          // An open window: approvers see it held (its credentials are expected; nothing is deleted while open).
          const heldBy = windows.get(row.accountId);
          const held = heldBy ? { heldBy } : {};
          try {
            const audit = await this.bulk.audit(row.accountId);
            buffer.push({
              ...row,
              ...held,
              present: describeAudit(audit),
              credentials: credentialItems(audit),
            });
          } catch (error) {
            buffer.push({ ...row, ...held, previewError: asTaskError(error).message });
          }
          if (buffer.length >= PREVIEW_FLUSH) await flush();
        }),
    );
    await flush();
    const read = await this.store.hardenAccounts(id);
    const done = await this.mutate(id, (h) => {
      if (h.state !== 'pending' || h.preview === 'ready') return { unchanged: false };
      const next: Hardening = { ...h, preview: 'ready' };
      next.contentHash = hardeningHash(next, read);
      return { next, effects: { notify: [UPDATE, hardeningCsvFile(next, false)] }, value: true };
    });
    if (done.ok && done.changed) {
      const c = countHardening(done.hardening, read);
      await this.core.audit(id, ACTOR, 'previewed', {
        accounts: c.total,
        withPassword: c.withPassword,
        withAccessKeys: c.withAccessKeys,
        withCertificates: c.withCertificates,
        withMfa: c.withMfa,
        clean: c.clean,
        unreadable: c.unreadable,
      });
    }
    return {};
  }

  /**
   * The `harden-run` job: deletes on every unfinished account (bulk lane),
   * storing each result as it lands; then retries later, or runs the
   * verification audit and closes. A shutdown stops starting accounts; the
   * next process goes on with the unfinished ones.
   */
  async run(id: string, signal?: AbortSignal): Promise<{ retryAt?: number }> {
    const stored = await this.store.getHardening(id);
    if (stored?.hardening.state !== 'running') return {};
    const h = stored.hardening;
    const todo = unfinished(h, await this.store.hardenAccounts(id));
    const progress = new ProgressClock(this.core.now, HARDEN_PROGRESS_EVERY_MS);
    const windows = new OpenWindowsCache(this.store, this.core.now, WINDOWS_MAX_AGE_MS);
    await Promise.all(
      todo.map(async (row) => {
        // Asked when the account's turn comes (a copy at most a second old): never delete on an
        // account whose window is open. Asked again, read afresh, right before its password is
        // deleted: a grant that opened a window meanwhile keeps the password it just created.
        let heldBy: string | undefined;
        let asked = 0;
        const mayStart = async () => {
          const open = asked++ === 0 ? await windows.get() : await openWindows(this.store);
          heldBy = open.get(row.accountId);
          return heldBy === undefined;
        };
        const result = await this.deleteOn(id, row.accountId, signal, mayStart);
        if (heldBy !== undefined) {
          // Held before its turn, or during its deletion (what was removed by then is kept on the row).
          const removed = result && !(result instanceof Error) ? removedText(result) : undefined;
          const kept = removed ? { removed: row.removed ? `${row.removed}; then ${removed}` : removed } : {};
          if (row.heldBy !== heldBy || removed)
            await this.store.putHardenAccounts(id, [{ ...row, ...kept, heldBy }]);
          return;
        }
        // Stopped before this account's turn: it stays pending for the next process.
        if (!result) return;
        await this.store.putHardenAccounts(
          id,
          [resultRow(row, result, this.core.now())],
          progress.due() ? [UPDATE] : [],
        );
        this.deps.wakeOutbox?.();
      }),
    );
    if (signal?.aborted) return { retryAt: this.core.now() };
    const after = await this.store.hardenAccounts(id);
    // Read again: an approver may have given up on accounts while this round ran.
    const now = (await this.store.getHardening(id))?.hardening ?? h;
    if (unfinished(now, after).length) return this.retryLater(id, after);
    return this.verifyAndClose(id);
  }

  private async deleteOn(
    id: string,
    accountId: string,
    signal: AbortSignal | undefined,
    mayStart: () => Promise<boolean>,
  ): Promise<DeletionResult | Error | undefined> {
    try {
      const result = await this.bulk.delete(accountId, signal, mayStart);
      if (!result) return undefined;
      await this.core.audit(id, ACTOR, 'bulk hardening: root credentials deleted', {
        accountId,
        removed: result.removed,
        verified: result.verified,
        errors: result.errors,
        evidence: result.evidence,
      });
      return result;
    } catch (error) {
      return asTaskError(error);
    }
  }

  private async retryLater(id: string, rows: HardenAccount[]): Promise<{ retryAt?: number }> {
    const done = await this.mutate(id, (h) => {
      if (h.state !== 'running') return { unchanged: undefined as number | undefined };
      // Given up on meanwhile (after the round's last read): nothing is left to retry, so run
      // again now, to verify and close, rather than at the next retry.
      if (!unfinished(h, rows).length) return { unchanged: this.core.now() as number | undefined };
      const rounds = h.rounds + 1;
      const at = this.core.now() + hardeningRetryDelayMs(rounds, this.deps.settings.cleanupRetryBaseMs);
      return {
        next: { ...h, rounds, nextRetryAt: at },
        effects: { notify: [UPDATE] },
        value: at as number | undefined,
      };
    });
    if (!done.ok || done.value === undefined) return {};
    if (!done.changed) return { retryAt: done.value };
    const c = countHardening(done.hardening, rows);
    await this.core.audit(id, ACTOR, 'bulk hardening round finished', {
      round: done.hardening.rounds,
      done: c.done,
      failed: rows
        .filter((r) => r.state === 'failed')
        .map((r) => ({ accountId: r.accountId, attempts: r.attempts, error: r.error })),
    });
    return { retryAt: done.value };
  }

  /** Every account done or given up: a verification audit of the done ones, then close. */
  private async verifyAndClose(id: string): Promise<{ retryAt?: number }> {
    const rows = await this.store.hardenAccounts(id);
    const windows = await openWindows(this.store);
    // A window opened on a done account since: its credentials are expected now. Held, never sent
    // back to the retries while it is open; verified (or deleted on) again once it has closed.
    const held = rows
      .filter((r) => r.state === 'done' && windows.has(r.accountId))
      .map((r) => heldAgain(r, windows.get(r.accountId) as string));
    const done = rows.filter((r) => r.state === 'done' && !windows.has(r.accountId));
    const present: HardenAccount[] = [...held];
    await Promise.all(
      done.map(async (row) => {
        try {
          const audit = await this.bulk.audit(row.accountId);
          if (audit.anyPresent)
            present.push(
              failedVerification(row, `the verification audit at the end found ${describeAudit(audit)}`),
            );
        } catch (error) {
          present.push(
            failedVerification(
              row,
              `the verification audit at the end failed: ${asTaskError(error).message}`,
            ),
          );
        }
      }),
    );
    if (present.length) {
      await this.store.putHardenAccounts(id, present);
      return this.retryLater(id, await this.store.hardenAccounts(id));
    }
    const now = this.core.now();
    const closed = await this.mutate(id, (h) => {
      if (h.state !== 'running') return { unchanged: false };
      const next: Hardening = {
        ...h,
        state: 'closed',
        closedAt: now,
        finalAudit: { at: now, clean: done.length, present: [] },
      };
      delete next.nextRetryAt;
      return {
        next,
        effects: { notify: [UPDATE, { to: 'harden-summary' }, hardeningCsvFile(next, true)] },
        value: true,
      };
    });
    if (closed.ok && closed.changed) {
      const c = countHardening(closed.hardening, rows);
      await this.core.audit(id, ACTOR, 'bulk hardening closed', {
        verified: c.done,
        givenUp: closed.hardening.givenUp?.accounts ?? [],
      });
    }
    return {};
  }
}

/** At most one progress update per interval. */
class ProgressClock {
  private last: number;
  constructor(
    private readonly now: () => number,
    private readonly everyMs: number,
  ) {
    this.last = now();
  }
  due(): boolean {
    if (this.now() - this.last < this.everyMs) return false;
    this.last = this.now();
    return true;
  }
}

function resultRow(held: HardenAccount, result: DeletionResult | Error, now: number): HardenAccount {
  const { heldBy: _, ...row } = held;
  const attempts = row.attempts + 1;
  if (result instanceof Error) return { ...row, state: 'failed', attempts, error: result.message };
  const latest = removedText(result);
  const removed = row.removed ? `${row.removed}; then ${latest}` : latest;
  if (result.verified) {
    const { error: _, ...rest } = row;
    return { ...rest, state: 'done', attempts, removed, verifiedAt: now };
  }
  const why = result.error
    ? `${result.error.kind}: ${result.error.message}`
    : 'the audit session still saw root credentials';
  return { ...row, state: 'failed', attempts, removed, error: why };
}

/** What one deletion removed, in a few words. */
function removedText(result: DeletionResult): string {
  const r = result.removed;
  const items = [
    r.loginProfile ? 'password' : '',
    r.accessKeys.length ? `${r.accessKeys.length} access key(s)` : '',
    r.signingCertificates.length ? `${r.signingCertificates.length} signing certificate(s)` : '',
    r.mfaDevices.length ? `${r.mfaDevices.length} MFA device(s) deactivated` : '',
  ].filter(Boolean);
  return items.length ? items.join(', ') : 'nothing removed';
}
