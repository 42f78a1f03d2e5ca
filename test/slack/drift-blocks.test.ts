import { describe, expect, it } from 'vitest';
import type { DriftAlert, PresentCredentials } from '../../src/domain/drift.js';
import { driftAlertMessage, driftResolvedMessage } from '../../src/slack/blocks/drift.js';
import { refuseMessageBlocks } from '../fakes/slack/block-kit.js';

const HOSTILE = `<!channel> *bold* & <@U123> ${'x'.repeat(5_000)}`;
/** As much as a root user can hold: AWS allows 2 access keys, 2 signing certificates, 8 MFA devices. */
const everything: PresentCredentials = {
  password: { createdAt: '2026-01-01T00:00:00Z', lastUsedAt: '2026-11-01T00:00:00Z' },
  accessKeys: [1, 2].map((n) => ({
    id: `AKIAROOT00000000000${n}`,
    status: 'Active',
    createdAt: '2026-01-01T00:00:00Z',
    lastUsed: { at: '2026-11-01T00:00:00Z', service: HOSTILE.slice(0, 200), region: 'us-east-1' },
  })),
  signingCertificates: [1, 2].map((n) => ({ id: `CERT${'Z'.repeat(120)}${n}`, status: 'Active' })),
  mfaDevices: Array.from({ length: 8 }, (_, n) => ({
    serial: `arn:aws:iam::123456789012:mfa/${'m'.repeat(500)}${n}`,
  })),
};

describe('drift messages', () => {
  it.each(['new', 'changed', 'reminder'] as const)(
    'stay within Block Kit limits (%s) and escape names',
    (kind) => {
      const alert: DriftAlert = {
        kind,
        accountId: '123456789012',
        name: HOSTILE,
        present: everything,
        since: Date.parse('2026-11-01T00:00:00Z'),
        ...(kind === 'changed' ? { previous: { ...everything, accessKeys: [] } } : {}),
      };
      const message = driftAlertMessage(alert);
      expect(refuseMessageBlocks(message.blocks)).toBeUndefined();
      const text = JSON.stringify(message.blocks);
      expect(text).not.toContain('<!channel>');
      expect(text).toContain(
        '"action_id":"bg_drift_cleanup","text":{"type":"plain_text","text":"Clean up"},"value":"123456789012"',
      );
      const resolved = driftResolvedMessage({
        accountId: '123456789012',
        name: HOSTILE,
        present: everything,
        alertRunId: 'OA-X',
      });
      expect(refuseMessageBlocks(resolved.blocks)).toBeUndefined();
    },
  );
});

describe('an account drift detection cannot see', () => {
  const blind = (present: PresentCredentials): DriftAlert => ({
    kind: 'unauditable',
    accountId: '123456789012',
    name: HOSTILE,
    present,
    since: 0,
    reason: 'blocked-by-scp',
  });

  it('says why, what was last seen, and where the fix is; no Clean up (it would be refused too)', () => {
    const message = driftAlertMessage(blind(everything));
    expect(refuseMessageBlocks(message.blocks)).toBeUndefined();
    const text = JSON.stringify(message.blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('root sessions denied by an SCP');
    expect(text).toContain('`breakglass audit --account 123456789012` shows the error and its fix');
    expect(text).toContain('*Last seen there:*');
    expect(text).toContain('AKIAROOT000000000001');
    expect(text).not.toContain('bg_drift_cleanup');
    expect(message.text).toBe('Root credentials unknown in 123456789012: it could not be audited');
  });

  it('says when nothing was ever seen there', () => {
    const none: PresentCredentials = { accessKeys: [], signingCertificates: [], mfaDevices: [] };
    expect(JSON.stringify(driftAlertMessage(blind(none)).blocks)).toContain(
      '*Last seen there:* no root credentials',
    );
  });

  it('is resolved as auditable again and clean, when nothing was seen there', () => {
    const resolved = driftResolvedMessage({
      accountId: '123456789012',
      name: 'acct',
      present: { accessKeys: [], signingCertificates: [], mfaDevices: [] },
      alertRunId: 'OA-1',
    });
    expect(resolved.text).toBe('Resolved: 123456789012 can be audited again, and has no root credentials');
  });
});
