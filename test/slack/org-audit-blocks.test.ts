import { describe, expect, it } from 'vitest';
import type { OrgAuditRun } from '../../src/domain/org-audit.js';
import { orgAuditMessage } from '../../src/slack/blocks/org-audit.js';

const stopped: OrgAuditRun = {
  id: 'OA-1',
  requestedBy: 'scheduler',
  scheduled: true,
  startedAt: Date.UTC(2026, 10, 26, 3, 0),
  finishedAt: Date.UTC(2026, 10, 26, 3, 1),
  state: 'done',
  done: 0,
  error: 'the audit stopped: AccessDenied <ListAccounts>',
};

const text = (run: OrgAuditRun) => JSON.stringify(orgAuditMessage({ run, rows: [] }).blocks);

describe('the org-wide audit summary of a run that stopped', () => {
  it('says, for a scheduled drift check, that drift detection could not finish and what to run', () => {
    const shown = text(stopped);
    expect(shown).toContain(
      'the audit stopped: AccessDenied &lt;ListAccounts&gt; (the accounts not listed were not audited)',
    );
    expect(shown).toContain(
      'Drift detection could not finish this check: `/breakglass doctor` checks what the bot may do in AWS',
    );
  });

  it('says only what stopped it for an audit somebody asked for', () => {
    const shown = text({ ...stopped, scheduled: false, requestedBy: 'U123' });
    expect(shown).toContain('the audit stopped');
    expect(shown).not.toContain('Drift detection');
  });
});
