/** Runs the fake Slack Web API in its own process for the benchmark; prints its URL first. */
import { FakeSlack } from '../test/fakes/slack/server.js';

const slack = await FakeSlack.start();
process.stdout.write(`${slack.url}\n`);
process.on('SIGTERM', () => {
  void slack.close().then(() => process.exit(0));
});
