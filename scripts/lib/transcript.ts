/**
 * What people saw, from the fake Slack's calls: as it happens (an updated
 * message shows only what changed), or all at once per person (`show`: each
 * message in its latest version, thread replies under their message). Pure.
 */
import { type CallRecord, type Surface, type SurfaceOptions, surfaceOf } from './slack-surfaces.js';

/** A message's identity: its channel and ts (an update names the ts it replaces). */
function messageKey(call: CallRecord): string | undefined {
  const channel = String(call.args.channel ?? '');
  if (call.method === 'chat.postMessage' && call.ts) return `${channel}|${call.ts}`;
  if (call.method === 'chat.update') return `${channel}|${String(call.args.ts ?? '')}`;
  return undefined;
}

/** Lines removed (`- `) and added (`+ `), each in its own order; lines kept are not repeated. */
export function changedLines(before: readonly string[], after: readonly string[]): string[] {
  const left = [...after];
  const removed: string[] = [];
  for (const line of before) {
    const i = left.indexOf(line);
    if (i >= 0) left.splice(i, 1);
    else removed.push(`- ${line}`);
  }
  const kept = new Set(before);
  const added = after.filter((line) => !kept.has(line)).map((line) => `+ ${line}`);
  return [...removed, ...added];
}

/** Follows calls as they arrive; an update is shown as what changed since the version before. */
export class LiveTranscript {
  private readonly latest = new Map<string, string[]>();

  constructor(private readonly options: SurfaceOptions) {}

  next(call: CallRecord): Surface | undefined {
    const surface = surfaceOf(call, this.options);
    if (!surface) return undefined;
    const key = messageKey(call);
    if (!key || call.outcome?.ok === false) return surface;
    const before = this.latest.get(key);
    this.latest.set(key, surface.lines);
    if (call.method !== 'chat.update' || !before) return surface;
    const changes = changedLines(before, surface.lines);
    return { ...surface, lines: changes.length ? changes : ['(no visible change)'] };
  }
}

export interface PersonView {
  /** "#breakglass", or a person's name */
  title: string;
  surfaces: Surface[];
}

/**
 * Everything seen so far, per audience: the channel (each message in its
 * latest version, with its thread), then each person's DMs, private replies
 * and App Home (latest), then the modals.
 */
export function seenSoFar(calls: readonly CallRecord[], options: SurfaceOptions): PersonView[] {
  const accepted = calls.filter((c) => c.outcome?.ok !== false);
  const latest = new Map<string, CallRecord>();
  for (const call of accepted) {
    const key = messageKey(call);
    if (key) latest.set(key, call);
  }
  const name = (id: string) => options.names?.[id] ?? id;
  const channel: Surface[] = [];
  const personal = new Map<string, Surface[]>();
  const add = (person: string, surface: Surface) =>
    personal.set(person, [...(personal.get(person) ?? []), surface]);
  const homes = new Map<string, Surface>();
  // Slack does not say for whom a modal opened: the trigger id is all a views.open carries.
  const modals: Surface[] = [];
  for (const call of accepted) {
    if (call.method === 'chat.update') continue;
    const key = messageKey(call);
    const shown = key ? (latest.get(key) ?? call) : call;
    const surface = surfaceOf(shown, options);
    if (!surface) continue;
    const where = surface.where.replace(/ \((updated|message updated)\)$/, '');
    if (call.method === 'chat.postMessage' && call.args.thread_ts) continue;
    if (call.method === 'views.publish' && surface.person) homes.set(surface.person, surface);
    else if (surface.person) add(surface.person, { ...surface, where });
    else if (call.method === 'chat.postMessage') {
      channel.push({ ...surface, where });
      for (const reply of accepted.filter(
        (r) =>
          r.method === 'chat.postMessage' &&
          r.args.thread_ts === call.ts &&
          r.args.channel === call.args.channel,
      )) {
        const s = surfaceOf(reply, options);
        if (s) channel.push({ ...s, where: '  in the thread' });
      }
    } else modals.push(surface);
  }
  for (const [person, home] of homes) add(person, home);
  const channelName = Object.values(options.channels ?? {})[0] ?? 'channel';
  return [
    { title: `#${channelName} (what everyone in the channel sees)`, surfaces: channel },
    ...[...personal].map(([person, surfaces]) => ({ title: `${name(person)} (only they see)`, surfaces })),
    ...(modals.length ? [{ title: 'modals (each shown to the person who clicked)', surfaces: modals }] : []),
  ];
}
