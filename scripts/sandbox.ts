/**
 * Runs the operator CLI against a local fake AWS organization (50 member
 * accounts, a few with root credentials), so it can be tried with no AWS account:
 *   npm run sandbox -- audit --all
 *   npm run sandbox -- delete-credentials --all-present --dry-run
 */
import { createCliContext } from '../src/cli/context.js';
import { processIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { seedMembers } from '../test/fakes/aws/sample-org.js';
import { FakeAws } from '../test/fakes/aws/server.js';

const fake = await FakeAws.start({ latencyMs: 5 });
seedMembers(fake, 50, 7);
const env = { ...process.env, ...fake.env(), AWS_EC2_METADATA_DISABLED: 'true' };
Object.assign(process.env, env);
processIo.err(
  `sandbox: fake AWS organization ${fake.org.id} with ${fake.accounts.size - 1} member accounts at ${fake.url}`,
);
const code = await runCli(process.argv.slice(2), processIo, () => createCliContext(env));
await fake.close();
process.exit(code);
