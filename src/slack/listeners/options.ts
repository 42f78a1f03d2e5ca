import type { AllMiddlewareArgs, App, BlockSuggestion, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import type { OrgAccount } from '../../aws/organization.js';
import { type SlackDeps, withDeadline } from '../deps.js';
import { ACTIONS } from '../ids.js';

type OptionsArgs = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

const MAX_OPTIONS = 100;
/** Slack needs the options within 3 s; the first lookup of a big organization may take longer. */
const DEADLINE_MS = 2_500;

export function registerOptions(app: App, deps: SlackDeps): void {
  app.options<'block_suggestion'>(ACTIONS.accountSelect, (args) => accountOptions(args, deps));
}

export async function accountOptions(args: OptionsArgs, deps: SlackDeps): Promise<void> {
  const query = (args.body as BlockSuggestion).value ?? '';
  const accounts = await withDeadline<OrgAccount[] | undefined>(
    deps.organization.search(query, MAX_OPTIONS).catch((error: unknown) => {
      deps.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'account search failed');
      return [];
    }),
    DEADLINE_MS,
    undefined,
  );
  if (accounts === undefined) {
    await args.ack({
      options: [
        { text: { type: 'plain_text', text: 'Loading accounts… type again in a moment' }, value: 'loading' },
      ],
    });
    return;
  }
  await args.ack({
    options: accounts.map((a) => ({
      text: { type: 'plain_text' as const, text: `${a.name} (${a.id})`.slice(0, 75) },
      value: a.id,
    })),
  });
}
