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
