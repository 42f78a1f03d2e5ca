/**
 * Where a Slack Web API call lands and who sees it (channel, thread, DM, a
 * private reply, a modal, the App Home), rendered for a terminal. Shared by
 * `npm run demo` and `npm run local`. Pure.
 */
import { renderMessage, renderView, type TerminalOptions } from './block-kit-terminal.js';

/** A call as the fake Slack records it (in process, or from its `/__fake/calls?full=1` route). */
export interface CallRecord {
  method: string;
  args: Record<string, unknown>;
  path: string;
  /** the message's ts, for chat.postMessage calls Slack accepted */
  ts?: string;
  outcome?: { ok: boolean; error?: string };
}

export interface Surface {
  /** who sees it, where: "#breakglass", "DM to alice", "only bob sees", "modal", … */
  where: string;
  /** the person it is for, when it is one person's (a DM, a private reply, their App Home) */
  person?: string;
  lines: string[];
}

export interface SurfaceOptions extends TerminalOptions {
  /** channel ids to names, e.g. { CAPPROVALS1: 'breakglass' } */
  channels?: Readonly<Record<string, string>>;
}

/**
 * Response URLs are made per click; the local tools put the clicking user's id
 * in front (`<user>~<id>`) so a reply can be told apart from another's.
 */
export function responseIdFor(user: string, id: string): string {
  return `${user}~${id}`;
}

function responseUser(path: string): string | undefined {
  return /\/response\/([UW][A-Z0-9]+)~/.exec(path)?.[1];
}

/** What a call shows to whom, or undefined for calls nobody sees (auth.test, users.info, …). */
export function surfaceOf(call: CallRecord, options: SurfaceOptions = {}): Surface | undefined {
  const name = (id: string) => options.names?.[id] ?? id;
  const channel = String(call.args.channel ?? '');
  const isDm = /^[UWD]/.test(channel);
  const channelName = `#${options.channels?.[channel] ?? channel}`;
  const refused =
    call.outcome && !call.outcome.ok ? ` (Slack refused: ${call.outcome.error ?? 'error'})` : '';
  const message = () => renderMessage(call.args, options);
  const view = () => renderView(call.args.view, options);
  const of = (where: string, lines: string[], person?: string): Surface => ({
    where: `${where}${refused}`,
    lines,
    ...(person ? { person } : {}),
  });
  switch (call.method) {
    case 'chat.postMessage':
      if (isDm) return of(`DM to ${name(channel)}`, message(), channel);
      return of(call.args.thread_ts ? `${channelName} (thread)` : channelName, message());
    case 'chat.update':
      if (isDm) return of(`DM to ${name(channel)} (updated)`, message(), channel);
      return of(`${channelName} (message updated)`, message());
    case 'chat.postEphemeral': {
      const user = String(call.args.user ?? '');
      return of(`only ${name(user)} sees`, message(), user);
    }
    case 'response_url': {
      const user = responseUser(call.path);
      const who = user ? name(user) : 'the person who clicked';
      const where = call.args.replace_original === true ? `replaces what ${who} clicked` : `only ${who} sees`;
      return of(where, message(), user);
    }
    case 'views.open':
    case 'views.push':
      return of('modal opens', view());
    case 'views.update':
      return of('modal changes to', view());
    case 'views.publish': {
      const user = String(call.args.user_id ?? '');
      return of(`App Home of ${name(user)}`, view(), user);
    }
    default:
      return undefined;
  }
}
