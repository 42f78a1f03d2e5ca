/**
 * Accounts with an open break-glass window: a request executing, active or
 * cleaning on them, whose credentials are expected (drift detection) and never
 * deleted by a bulk hardening. Read in full (every page), never a first page.
 */
import type { RequestState } from '../domain/request.js';
import type { Store } from '../store/store.js';

const OPEN: RequestState[] = ['executing', 'active', 'cleaning'];
/** Every open request (the store pages through them all). */
const ALL = Number.MAX_SAFE_INTEGER;

/** account id -> the id of the request whose window is open on it */
export async function openWindows(store: Store): Promise<Map<string, string>> {
  const open = await store.listRequests({ states: OPEN, limit: ALL });
  return new Map(open.map((s) => [s.request.accountId, s.request.id]));
}

/**
 * The open windows as of at most `maxAgeMs` ago, read once for many callers
 * (the accounts of one round ask at once).
 */
export class OpenWindowsCache {
  private read: Promise<Map<string, string>> | undefined;
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly maxAgeMs: number,
  ) {}

  get(): Promise<Map<string, string>> {
    if (!this.read || this.now() - this.readAt > this.maxAgeMs) {
      this.readAt = this.now();
      this.read = openWindows(this.store).catch((error: unknown) => {
        this.read = undefined;
        throw error;
      });
    }
    return this.read;
  }
}
