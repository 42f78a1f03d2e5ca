import { Writable } from 'node:stream';
import { RootTaskService } from '../../src/aws/root-task-service.js';
import { createLogger } from '../../src/log.js';
import type { FakeAwsEnv } from '../support/fake-aws-env.js';

/** A service over the fake whose pauses (re-polls, busy retries) are recorded instead of waited for. */
export interface InstantService {
  service: RootTaskService;
  /** every pause the service asked for, in ms */
  pauses: number[];
  /** every log line the service wrote, as JSON text */
  logLines: string[];
}

export function instantService(env: FakeAwsEnv): InstantService {
  const pauses: number[] = [];
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const service = new RootTaskService(env.clients, env.organization, createLogger({ level: 'debug' }, sink), {
    sleep: async (ms) => {
      pauses.push(ms);
    },
  });
  return { service, pauses, logLines };
}
