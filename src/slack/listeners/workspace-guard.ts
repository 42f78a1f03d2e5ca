/**
 * The bot serves the one workspace it is installed in. Slack signs requests for
 * anyone who can reach the app (a Slack Connect channel shared with another
 * organization, a user of another workspace in such a channel), so a global
 * middleware, registered before every listener, refuses each request that names
 * another workspace: it acks, answers the person where Slack allows, logs the
 * team id at warn, and calls no listener.
 */
import type { AnyMiddlewareArgs, App, Middleware, RespondFn } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { refusalModal } from '../blocks/refusal.js';

export const FOREIGN_WORKSPACE_TEXT = 'This bot serves only its own workspace.';
export const UNKNOWN_WORKSPACE_TEXT =
  'breakglass cannot tell which workspace it serves yet (Slack did not answer). Try again in a minute.';

type Fields = Record<string, unknown>;

function fields(value: unknown): Fields {
  return typeof value === 'object' && value !== null ? (value as Fields) : {};
}

/**
 * Every workspace a request names: a command's `team_id`; an interaction's
 * `team.id` and `user.team_id`; a modal's `team_id` and
 * `app_installed_team_id`; an event's `team_id` and `authorizations`. Pure.
 */
export function teamsOf(body: unknown): string[] {
  const b = fields(body);
  const view = fields(b.view);
  const named = [
    b.team_id,
    fields(b.team).id,
    fields(b.user).team_id,
    view.team_id,
    view.app_installed_team_id,
    ...(Array.isArray(b.authorizations) ? b.authorizations.map((a) => fields(a).team_id) : []),
  ];
  return [...new Set(named.filter((id): id is string => typeof id === 'string' && id !== ''))];
}

/**
 * The workspace that makes a request foreign, or undefined when every team it
 * names is `installed`. A request naming no workspace at all is foreign too
 * (`'none'`): fail closed. Pure.
 */
export function foreignTeam(body: unknown, installed: string): string | undefined {
  const teams = teamsOf(body);
  if (teams.length === 0) return 'none';
  return teams.find((team) => team !== installed);
}

/**
 * The installed workspace, from `auth.test`. Asked at start-up; if Slack does
 * not answer, asked again on the next request (requests are refused meanwhile:
 * fail closed).
 */
export class InstalledWorkspace {
  private team: string | undefined;
  private asking: Promise<string | undefined> | undefined;

  constructor(
    private readonly authTest: () => Promise<{ team_id?: string }>,
    private readonly log: Logger,
  ) {}

  id(): Promise<string | undefined> {
    if (this.team) return Promise.resolve(this.team);
    this.asking ??= this.authTest()
      .then(
        (res) => {
          this.team = res.team_id || undefined;
          if (this.team) this.log.info({ team: this.team }, 'serving the workspace auth.test names');
          else this.log.error('auth.test named no workspace: every Slack request is refused');
          return this.team;
        },
        (error: unknown) => {
          this.log.error(
            { err: error instanceof Error ? error.message : String(error) },
            'auth.test failed: Slack requests are refused until the bot learns its workspace',
          );
          return undefined;
        },
      )
      .finally(() => {
        this.asking = undefined;
      });
    return this.asking;
  }
}

/** The parts of Bolt's middleware arguments a refusal uses; which exist depends on the request's kind. */
interface RefusalArgs {
  body: unknown;
  ack?: (response?: unknown) => Promise<void>;
  respond?: RespondFn;
}

/** What kind of request, for the answer and the log. */
function kindOf(body: unknown): string {
  const b = fields(body);
  if (typeof b.command === 'string') return 'command';
  return typeof b.type === 'string' ? b.type : 'unknown';
}

async function refuse(args: RefusalArgs, kind: string, text: string, log: Logger): Promise<void> {
  switch (kind) {
    case 'command':
      await args.ack?.({ response_type: 'ephemeral', text });
      return;
    case 'view_submission':
      await args.ack?.({ response_action: 'update', view: refusalModal('Break-glass', text) });
      return;
    case 'block_suggestion':
      await args.ack?.({ options: [] });
      return;
    case 'event_callback':
      // Bolt acks events itself before any middleware.
      return;
    default:
      await args.ack?.();
      await args.respond?.({ response_type: 'ephemeral', replace_original: false, text }).catch((error) => {
        log.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'could not answer a refusal',
        );
      });
  }
}

export function workspaceGuard(workspace: InstalledWorkspace, log: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const installed = await workspace.id();
    const foreign = installed ? foreignTeam(args.body, installed) : undefined;
    if (installed && foreign === undefined) {
      await args.next();
      return;
    }
    const kind = kindOf(args.body);
    if (installed) {
      log.warn({ team: foreign, installedTeam: installed, kind }, 'refused a request from another workspace');
    } else {
      log.warn(
        { teams: teamsOf(args.body), kind },
        'refused a request: the installed workspace is not known',
      );
    }
    await refuse(args as RefusalArgs, kind, installed ? FOREIGN_WORKSPACE_TEXT : UNKNOWN_WORKSPACE_TEXT, log);
  };
}

/** Registers the guard; call it before any listener, so it runs first. */
export function registerWorkspaceGuard(app: App, workspace: InstalledWorkspace, log: Logger): void {
  app.use(workspaceGuard(workspace, log));
}
