/**
 * `npm run local`: the real bot against local fakes of Slack and AWS, kept
 * running; `npm run local -- <command>` drives it from another terminal
 * (`npm run local -- help`). See the README, "Try it locally".
 */
import { parseArgs } from 'node:util';
import { DRIVER_HELP, drive } from './local/driver.js';
import { DEFAULT_PORT, serve } from './local/server.js';
import { localDir, readState } from './local/state.js';

const argv = process.argv.slice(2);
const dir = localDir();

if (argv.length === 0 || argv[0] === 'start' || argv[0]?.startsWith('--')) {
  const { values } = parseArgs({
    args: argv[0] === 'start' ? argv.slice(1) : argv,
    options: { port: { type: 'string' }, keep: { type: 'boolean' } },
  });
  const port = Number(values.port ?? process.env.BREAKGLASS_LOCAL_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port: a whole number 0-65535 (0: any free port), not "${values.port}"`);
    process.exit(2);
  }
  await serve(dir, { port, keep: values.keep === true });
} else {
  const state = readState(dir);
  if (!state && argv[0] !== 'help') {
    console.error(
      `No local bot is running (no ${dir}/state.json): start it with \`npm run local\`.\n\n${DRIVER_HELP}`,
    );
    process.exit(2);
  }
  if (!state) console.log(DRIVER_HELP);
  else
    process.exitCode = await drive(state, argv).catch((error: unknown) => {
      // A state file left by a bot that was killed: say so rather than print a fetch stack.
      if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error;
      console.error(
        `The local bot at ${state.botUrl} does not answer: start it again with \`npm run local\`.`,
      );
      return 2;
    });
}
