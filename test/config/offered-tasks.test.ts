import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { TASK_KINDS } from '../../src/domain/request.js';
import { requestModal } from '../../src/slack/blocks/modals.js';
import { memberId } from '../fakes/aws/sample-org.js';
import { startWorkflowEnv } from '../support/workflow-env.js';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  BREAKGLASS_CHANNEL_ID: 'C0APPROVAL',
  BREAKGLASS_APPROVERS: 'U0000001,U0000002',
};

describe('the tasks offered (BREAKGLASS_TASKS)', () => {
  it('offers every task by default, and the listed ones in the usual order otherwise', () => {
    expect(loadConfig(VALID).tasks).toEqual([...TASK_KINDS]);
    expect(loadConfig({ ...VALID, BREAKGLASS_TASKS: 'delete-credentials, password-recovery' }).tasks).toEqual(
      ['password-recovery', 'delete-credentials'],
    );
  });

  it('names an unknown task in the list of problems', () => {
    expect(() => loadConfig({ ...VALID, BREAKGLASS_TASKS: 'password-recovery,unlock-ec2' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ ...VALID, BREAKGLASS_TASKS: 'unlock-ec2' });
    } catch (error) {
      expect((error as ConfigError).problems.join('\n')).toContain(
        'BREAKGLASS_TASKS must be a comma list of',
      );
    }
  });

  it('shows only the offered tasks in the request modal', () => {
    const view = JSON.stringify(requestModal({ durationsSeconds: [3600], tasks: ['delete-credentials'] }));
    expect(view).toContain('"value":"delete-credentials"');
    expect(view).not.toContain('"value":"password-recovery"');
  });

  it('refuses a submission of a task that is not offered', async () => {
    const env = await startWorkflowEnv();
    try {
      env.workflow.settings.tasks = ['delete-credentials'];
      const result = await env.workflow.actions.submit({
        requesterId: 'UREQUESTER',
        accountId: memberId(2),
        task: 'password-recovery',
        durationSeconds: 3600,
        justification: 'not offered',
      });
      expect(result).toMatchObject({ ok: false, errors: { task: 'Choose one of the tasks offered.' } });
    } finally {
      await env.close();
    }
  });
});
