/**
 * Reads what the running bot sent to the fake Slack, over its control route,
 * and finds the buttons and menus a person could click there.
 */
import type { CallRecord } from '../lib/slack-surfaces.js';

export async function fetchCalls(slackUrl: string): Promise<CallRecord[]> {
  const res = await fetch(`${slackUrl}/__fake/calls?full=1`);
  if (!res.ok) throw new Error(`the fake Slack answered HTTP ${res.status}`);
  return (await res.json()) as CallRecord[];
}

/**
 * Waits until the bot has gone quiet (no new call for `quietMs`, longer than a
 * scheduler tick, so work started by the click is shown too) and returns the new calls.
 */
export async function settle(
  slackUrl: string,
  since: number,
  options: { quietMs?: number; timeoutMs?: number } = {},
): Promise<CallRecord[]> {
  const quietMs = options.quietMs ?? 1500;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let count = since;
  let changedAt = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const calls = await fetchCalls(slackUrl);
    if (calls.length !== count) {
      count = calls.length;
      changedAt = Date.now();
    }
    if (Date.now() - changedAt >= quietMs || Date.now() > deadline) return calls.slice(since);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;

/** Every interactive element in a call's blocks (actions and section accessories). */
function elementsOf(call: CallRecord): Json[] {
  const blocks = Array.isArray(call.args.blocks) ? call.args.blocks : [];
  return blocks
    .filter(isObject)
    .flatMap((b) => [
      ...(Array.isArray(b.elements) ? b.elements.filter(isObject) : []),
      ...(isObject(b.accessory) ? [b.accessory] : []),
    ]);
}

/** Does a button or option value belong to this request (a bare id, `id|…`, or JSON with `id`)? */
export function valueNames(value: unknown, requestId: string): boolean {
  if (typeof value !== 'string') return false;
  if (value === requestId || value.startsWith(`${requestId}|`)) return true;
  try {
    const parsed = JSON.parse(value) as { id?: unknown };
    return parsed.id === requestId;
  } catch {
    return false;
  }
}

/**
 * The newest version of each message (an update replaces its post), newest
 * first: a button counts only while the message still shows it.
 */
function currentMessages(calls: readonly CallRecord[]): CallRecord[] {
  const latest = new Map<string, CallRecord>();
  const loose: CallRecord[] = [];
  for (const call of calls) {
    if (call.outcome?.ok === false) continue;
    const channel = String(call.args.channel ?? '');
    if (call.method === 'chat.postMessage' && call.ts) latest.set(`${channel}|${call.ts}`, call);
    else if (call.method === 'chat.update') latest.set(`${channel}|${String(call.args.ts)}`, call);
    else if (call.method === 'response_url') loose.push(call);
  }
  return [...latest.values(), ...loose].reverse();
}

/** The button `actionId` for this request on a message as it is now (in `channel`, if given). */
export function findButton(
  calls: readonly CallRecord[],
  actionId: string,
  requestId: string,
  channel?: string,
): Json | undefined {
  for (const call of currentMessages(calls)) {
    if (channel && call.args.channel !== channel) continue;
    const found = elementsOf(call).find((e) => e.action_id === actionId && valueNames(e.value, requestId));
    if (found) return found;
  }
  return undefined;
}

/** The options of the menu `actionId` for this request, on a message as it is now. */
export function findMenuOptions(
  calls: readonly CallRecord[],
  actionId: string,
  requestId: string,
  channel?: string,
): { label: string; value: string }[] | undefined {
  for (const call of currentMessages(calls)) {
    if (channel && call.args.channel !== channel) continue;
    for (const el of elementsOf(call)) {
      if (el.action_id !== actionId || !Array.isArray(el.options)) continue;
      const options = el.options.filter(isObject).map((o) => ({
        label: String(isObject(o.text) ? o.text.text : ''),
        value: String(o.value),
      }));
      if (options.some((o) => valueNames(o.value, requestId))) return options;
    }
  }
  return undefined;
}
