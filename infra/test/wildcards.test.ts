import { describe, expect, test } from 'vitest';
import { allStatements, asList, synth } from './synth.js';

describe('no statement allows "*" on "*"', () => {
  for (const [name, context] of [
    ['defaults', {}],
    [
      'public network, customer-managed key, alarm email, two tasks',
      {
        network: 'public',
        customerManagedKey: true,
        alarmEmail: 'secops@example.com',
        desiredCount: 2,
      },
    ],
  ] as const) {
    test(name, { timeout: 60_000 }, () => {
      const { template } = synth(context);
      const statements = allStatements(template);
      expect(statements.length).toBeGreaterThan(10);
      const offenders = statements.filter(
        ({ statement }) =>
          statement.Effect === 'Allow' &&
          (asList(statement.Action).includes('*') || statement.NotAction !== undefined) &&
          (asList(statement.Resource).includes('*') || statement.NotResource !== undefined),
      );
      expect(offenders).toEqual([]);
    });
  }
});
