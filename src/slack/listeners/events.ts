import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { publishHome } from '../home-tab.js';

export function registerEvents(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', (args) => homeOpened(args, deps));
}

export async function homeOpened(
  args: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs,
  deps: SlackDeps,
): Promise<void> {
  if (args.event.tab !== 'home') return;
  await publishHome(args.client, deps, args.event.user);
}
