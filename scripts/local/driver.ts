/**
 * The driver of `npm run local`: plays one person's action in Slack against the
 * running bot (signed requests, as Slack sends them), then prints what Slack
 * shows because of it, read back from the fake Slack.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/domain/durations.js';
import { CHANNEL, SlackTestClient } from '../../test/support/slack-client.js';
import { NAMES, PEOPLE, userId } from '../lib/people.js';
import { printLines } from '../lib/print.js';
import { type CallRecord, responseIdFor } from '../lib/slack-surfaces.js';
import { LiveTranscript, seenSoFar } from '../lib/transcript.js';
import { fetchCalls, findButton, findMenuOptions, settle } from './fake-slack-reader.js';
import type { LocalState } from './state.js';

export const DRIVER_HELP = `Drive the local bot (start it first with \`npm run local\`):
  request --as alice --account 200000000003 [--task password-recovery] [--duration 30m]
          --why "text" [--link https://…] [--target bucket-or-queue-url]
  approve BG-XXXX --as bob             click Approve (and confirm)
  deny BG-XXXX --as carol --reason "…" click Deny and give a reason (the requester: withdraw)
  done BG-XXXX --as alice              click "Done, clean up now"
  extend BG-XXXX 30m --as alice        ask for more time (one approver decides)
  approve-extension BG-XXXX --as bob   approve the ask
  status [BG-XXXX] --as alice          /breakglass status
  list --as alice                      /breakglass list
  home --as bob                        open the App Home tab
  show                                 everything each person has seen so far
People: ${Object.keys(PEOPLE).join(', ')} (or a Slack user id). Tasks: password-recovery, unlock-s3, unlock-sqs, delete-credentials.`;

const OPTIONS = {
  as: { type: 'string' },
  account: { type: 'string' },
  task: { type: 'string' },
  duration: { type: 'string' },
  why: { type: 'string' },
  link: { type: 'string' },
  target: { type: 'string' },
  reason: { type: 'string' },
} as const;

class UsageError extends Error {}

const surfaceOptions = { names: NAMES, channels: { [CHANNEL]: 'breakglass' }, width: 100 };

export async function drive(state: LocalState, argv: string[]): Promise<number> {
  try {
    const { positionals, values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const [command = 'help', ...rest] = positionals;
    if (command === 'help') {
      console.log(DRIVER_HELP);
      return 0;
    }
    if (command === 'show') return show(state);
    const act = Object.hasOwn(ACTIONS, command) ? ACTIONS[command] : undefined;
    if (!act) throw new UsageError(`unknown command "${command}"`);
    const who = values.as ?? (command === 'status' || command === 'list' ? 'alice' : undefined);
    const user = who ? userId(who) : undefined;
    if (!user)
      throw new UsageError(`${command} needs --as <person>: one of ${Object.keys(PEOPLE).join(', ')}`);
    const session = new Session(state, user);
    await session.start();
    const ok = await act(session, rest, values);
    const followed = await session.printWhatFollowed();
    if (command === 'request' && ok) {
      const id = followed
        .map((c) => /Break-glass request (BG-[A-Z0-9]+)/.exec(String(c.args.text))?.[1])
        .find(Boolean);
      if (id) console.log(`\nRequest ${id}. Next: npm run local -- approve ${id} --as bob`);
    }
    return ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${DRIVER_HELP}`);
      return 2;
    }
    throw error;
  }
}

type Values = { [K in keyof typeof OPTIONS]?: string };
type Action = (s: Session, args: string[], values: Values) => Promise<boolean>;

/** One person, one action: what Slack showed before is known, so only what follows is printed. */
class Session {
  readonly client: SlackTestClient;
  readonly name: string;
  calls: CallRecord[] = [];

  constructor(
    private readonly state: LocalState,
    readonly user: string,
  ) {
    this.name = NAMES[user] ?? user;
    this.client = new SlackTestClient(
      state.botUrl,
      (id) => `${state.slackUrl}/response/${responseIdFor(user, id)}`,
    );
  }

  async start(): Promise<void> {
    this.calls = await fetchCalls(this.state.slackUrl);
  }

  say(text: string): void {
    printLines(this.name, [text]);
  }

  /** Prints what Slack showed after the action, once the bot has gone quiet; returns those calls. */
  async printWhatFollowed(): Promise<CallRecord[]> {
    const transcript = new LiveTranscript(surfaceOptions);
    for (const call of this.calls) transcript.next(call);
    const followed = await settle(this.state.slackUrl, this.calls.length);
    for (const call of followed) {
      const surface = transcript.next(call);
      if (surface) printLines(surface.where, surface.lines);
    }
    return followed;
  }

  /** Whether the bot opened the modal `callbackId` after this session began (it may refuse instead). */
  async modalOpened(callbackId: string): Promise<boolean> {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const calls = (await fetchCalls(this.state.slackUrl)).slice(this.calls.length);
      const opened = calls.find(
        (c) =>
          c.method === 'views.open' && (c.args.view as { callback_id?: string })?.callback_id === callbackId,
      );
      // A refusal replaces the modal at once (views.update): then there is nothing to submit.
      if (opened) {
        await new Promise((resolve) => setTimeout(resolve, 400));
        const after = (await fetchCalls(this.state.slackUrl)).slice(this.calls.length);
        return !after.some((c) => c.method === 'views.update');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  /** A Block Kit click, refused with a plain explanation when nothing to click is shown. */
  async click(actionId: string, label: string, requestId: string, channel?: string): Promise<boolean> {
    const button = findButton(this.calls, actionId, requestId, channel);
    if (!button) {
      console.log(`No "${label}" button for ${requestId} is shown now: nothing to click.`);
      return false;
    }
    const confirm = button.confirm as { title?: { text?: string } } | undefined;
    this.say(`clicks ${label} on ${requestId}${confirm ? ` and confirms "${confirm.title?.text}"` : ''}`);
    await this.client.blockAction(this.user, { action_id: actionId, value: String(button.value) });
    return true;
  }
}

function requestIdArg(args: string[]): string {
  const id = args[0];
  if (!id || !/^BG-[A-Z0-9]+$/i.test(id)) throw new UsageError('give the request id, e.g. BG-7K2M4Q');
  return id.toUpperCase();
}

function seconds(text: string | undefined, what: string): string {
  const s = text ? parseDuration(text) : undefined;
  if (!s) throw new UsageError(`${what}: a duration such as 30m or 1h`);
  return String(s);
}

async function slashCommand(s: Session, text: string): Promise<boolean> {
  s.say(`types /breakglass ${text}`.trim());
  await s.client.command(s.user, text, { responseId: responseIdFor(s.user, `cmd-${randomUUID()}`) });
  return true;
}

const ACTIONS: Record<string, Action> = {
  async request(s, _args, v) {
    if (!v.account || !v.why) throw new UsageError('request needs --account and --why');
    const task = v.task ?? 'password-recovery';
    s.say('types /breakglass');
    await s.client.command(s.user, '');
    s.say(`fills in the modal: ${v.account}, ${task}${v.duration ? `, ${v.duration}` : ''}, and submits`);
    const values: Record<string, Record<string, unknown>> = {
      account: { bg_account_select: { type: 'external_select', selected_option: { value: v.account } } },
      task: { bg_task_select: { type: 'static_select', selected_option: { value: task } } },
      justification: { bg_justification: { type: 'plain_text_input', value: v.why } },
      link: { bg_link: { type: 'url_text_input', value: v.link ?? null } },
    };
    if (task === 'password-recovery')
      values.duration = {
        bg_duration: {
          type: 'static_select',
          selected_option: { value: seconds(v.duration ?? '30m', '--duration') },
        },
      };
    if (v.target !== undefined) values.target = { bg_target: { type: 'plain_text_input', value: v.target } };
    const res = await s.client.viewSubmission(s.user, { callback_id: 'bg_request', values });
    const answer = res.body
      ? (res.json() as { response_action?: string; errors?: Record<string, string> })
      : {};
    if (answer.response_action === 'errors') {
      for (const [field, error] of Object.entries(answer.errors ?? {}))
        printLines(`modal field ${field}`, [error]);
      return false;
    }
    return true;
  },
  approve: (s, args) => s.click('bg_approve', 'Approve', requestIdArg(args), CHANNEL),
  async deny(s, args, v) {
    const id = requestIdArg(args);
    if (!v.reason) throw new UsageError('deny needs --reason');
    if (!(await s.click('bg_deny', 'Deny', id, CHANNEL))) return false;
    if (!(await s.modalOpened('bg_deny'))) return false;
    s.say(`writes "${v.reason}" and submits`);
    const res = await s.client.viewSubmission(s.user, {
      callback_id: 'bg_deny',
      private_metadata: id,
      values: { reason: { bg_deny_reason: { type: 'plain_text_input', value: v.reason } } },
    });
    return res.status === 200;
  },
  done: (s, args) => s.click('bg_done', 'Done, clean up now', requestIdArg(args)),
  async extend(s, args) {
    const id = requestIdArg(args);
    const more = seconds(args[1], 'extend BG-XXXX <duration>');
    const options = findMenuOptions(s.calls, 'bg_extend', id, s.user);
    const choice = options?.find((o) => o.value === `${id}|${more}`);
    if (!choice) {
      const offered = options?.map((o) => o.label).join(', ');
      console.log(
        `No extension of ${args[1]} is offered to ${s.name} for ${id}${offered ? ` (offered: ${offered})` : ''}.`,
      );
      return false;
    }
    s.say(`picks "${choice.label}" in Extend on ${id}`);
    await s.client.blockAction(s.user, { action_id: 'bg_extend', selected_option: { value: choice.value } });
    return true;
  },
  'approve-extension': (s, args) => s.click('bg_extend_approve', 'Approve the extension', requestIdArg(args)),
  status: (s, args) => slashCommand(s, `status ${args[0] ?? ''}`),
  list: (s) => slashCommand(s, 'list'),
  async home(s) {
    s.say('opens the App Home tab');
    await s.client.event({ type: 'app_home_opened', user: s.user, channel: 'DHOME', tab: 'home' });
    return true;
  },
};

async function show(state: LocalState): Promise<number> {
  const views = seenSoFar(await fetchCalls(state.slackUrl), surfaceOptions);
  for (const view of views) {
    console.log(`\n=== ${view.title}`);
    if (!view.surfaces.length) console.log('(nothing yet)');
    for (const surface of view.surfaces) printLines(surface.where, surface.lines);
  }
  return 0;
}
