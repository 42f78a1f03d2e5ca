import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/domain/durations.js';
import { cleanupRetryDelayMs, reminderAt } from '../../src/domain/schedule.js';

const policy = { pendingTtlSeconds: 3600, remindBeforeSeconds: 600 };

describe('reminderAt', () => {
  const granted = 7_000_000;
  it('reminds ten minutes ahead when the window is longer than that', () => {
    expect(reminderAt(granted, granted + 600_001, policy)).toBe(granted + 1);
  });
  it('reminds halfway through a window of ten minutes or less', () => {
    expect(reminderAt(granted, granted + 600_000, policy)).toBe(granted + 300_000);
    expect(reminderAt(granted, granted + 60_001, policy)).toBe(granted + 30_000);
  });
});

describe('cleanupRetryDelayMs', () => {
  it('doubles from the base and stops at thirty times it', () => {
    expect([0, 1, 2, 5, 6, 20].map((n) => cleanupRetryDelayMs(n, 1000))).toEqual([
      1000, 1000, 2000, 16_000, 30_000, 30_000,
    ]);
  });
});

describe('durations', () => {
  it.each([
    ['10m', 600],
    ['90s', 90],
    ['2h15m', 8100],
    ['1 h', 3600],
    ['1500ms', 1.5],
  ])('parses %j', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each(['   ', 'h', '5', '-5m', '1.5h', '2h 15m'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats nothing as 0s, and drops seconds once there are hours', () => {
    expect([0, -5, 59.6, 3601, 3660, 86_400].map(formatDuration)).toEqual([
      '0s',
      '0s',
      '1m',
      '1h',
      '1h 1m',
      '24h',
    ]);
  });
});
