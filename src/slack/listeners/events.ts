import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';
import { homeView } from '../blocks/home.js';
import type { SlackDeps } from '../deps.js';

export function registerEvents(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', (args) => homeOpened(args, deps));
}

export async function homeOpened(
  args: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs,
  deps: SlackDeps,
): Promise<void> {
  if (args.event.tab !== 'home') return;
  const overview = await deps.workflow.overview(args.event.user);
  await args.client.views.publish({ user_id: args.event.user, view: homeView(overview) });
}
