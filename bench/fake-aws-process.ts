/**
 * Runs the fake AWS server in its own process, so the benchmark measures the
 * bot's memory and CPU, not the fake's. Prints the URL as its first line.
 * Usage: fake-aws-process.ts <accounts> <latencyMs> <throttlePerSecond>
 */
import { seedMembers } from '../test/fakes/aws/sample-org.js';
import { FakeAws } from '../test/fakes/aws/server.js';

const [accounts = '1000', latencyMs = '20', throttle = '500'] = process.argv.slice(2);
const fake = await FakeAws.start({
  latencyMs: Number(latencyMs),
  throttlePerSecond: Number(throttle) || undefined,
});
seedMembers(fake, Number(accounts), 10);
process.stdout.write(`${fake.url}\n`);
process.on('SIGTERM', () => {
  void fake.close().then(() => process.exit(0));
});
