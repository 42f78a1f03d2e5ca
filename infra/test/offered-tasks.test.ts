import { describe, expect, test } from 'vitest';
import { TASK_KINDS } from '../../src/domain/request.js';
import { offeredTasks } from '../lib/breakglass-stack.js';
import { ROOT_TASK_POLICIES } from '../lib/contract.js';

describe('the tasks the bot offers in Slack (BREAKGLASS_TASKS)', () => {
  test('are every task the bot knows when every task policy is allowed, each once', () => {
    expect([...offeredTasks([...ROOT_TASK_POLICIES])].sort()).toEqual([...TASK_KINDS].sort());
  });

  test('are only the tasks whose task policy the role allows', () => {
    expect(offeredTasks(['IAMAuditRootUserCredentials', 'IAMDeleteRootUserCredentials'])).toEqual([
      'delete-credentials',
    ]);
    expect(
      offeredTasks([
        'IAMAuditRootUserCredentials',
        'IAMCreateRootUserPassword',
        'IAMDeleteRootUserCredentials',
      ]).sort(),
    ).toEqual(['delete-credentials', 'password-recovery']);
  });
});
