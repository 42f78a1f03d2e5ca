/**
 * Root tasks run as priority work: each is counted by the gate while it runs
 * (so bulk work shrinks meanwhile), with its arguments and result passed through.
 */
import { describe, expect, it } from 'vitest';
import { PriorityGate } from '../../src/aws/priority.js';
import type { RootTasks } from '../../src/workflow/ports.js';
import { prioritizedTasks } from '../../src/workflow/prioritized-tasks.js';

describe('prioritizedTasks', () => {
  it('runs every root task through the priority gate, passing arguments and results through', async () => {
    const gate = new PriorityGate();
    const calls: [string, unknown[], boolean][] = [];
    const record =
      <T>(name: string, result: T) =>
      async (...args: unknown[]): Promise<T> => {
        calls.push([name, args, gate.busy]);
        return result;
      };
    const raw = {
      auditRootCredentials: record('audit', { audited: true }),
      allowPasswordRecovery: record('recovery', { created: true }),
      deleteRootCredentials: record('delete', { deleted: true }),
      unlockS3BucketPolicy: record('s3', { unlocked: 's3' }),
      unlockSqsQueuePolicy: record('sqs', { unlocked: 'sqs' }),
      readPolicy: record('read', { policy: null }),
    } as unknown as RootTasks;
    const tasks = prioritizedTasks(raw, gate);
    const options = { windowCleanup: true };
    expect(await tasks.auditRootCredentials('111')).toEqual({ audited: true });
    expect(await tasks.allowPasswordRecovery('222')).toEqual({ created: true });
    expect(await tasks.deleteRootCredentials('333', options)).toEqual({ deleted: true });
    expect(await tasks.unlockS3BucketPolicy('444', 'bucket', 'h1')).toEqual({ unlocked: 's3' });
    expect(await tasks.unlockSqsQueuePolicy('555', 'https://queue', null)).toEqual({ unlocked: 'sqs' });
    expect(await tasks.readPolicy('666', 'unlock-s3', 'bucket')).toEqual({ policy: null });
    expect(calls).toEqual([
      ['audit', ['111'], true],
      ['recovery', ['222'], true],
      ['delete', ['333', options], true],
      ['s3', ['444', 'bucket', 'h1'], true],
      ['sqs', ['555', 'https://queue', null], true],
      ['read', ['666', 'unlock-s3', 'bucket'], true],
    ]);
    expect(gate.busy).toBe(false);
  });
});
