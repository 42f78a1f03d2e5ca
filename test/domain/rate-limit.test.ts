import { describe, expect, it } from 'vitest';
import { decideRate, RateLimiter } from '../../src/domain/rate-limit.js';

const RULE = { limit: 3, windowMs: 1000 };

describe('decideRate', () => {
  it.each([
    { case: 'first use', uses: [], now: 5000, ok: true },
    { case: 'under the limit', uses: [4100, 4200], now: 5000, ok: true },
    { case: 'at the limit', uses: [4100, 4200, 4300], now: 5000, ok: false, retryAt: 5100 },
    { case: 'oldest use aged out exactly', uses: [4000, 4200, 4300], now: 5000, ok: true },
    {
      case: 'one millisecond before it ages out',
      uses: [4001, 4200, 4300],
      now: 5000,
      ok: false,
      retryAt: 5001,
    },
    { case: 'old uses do not count', uses: [1000, 2000, 3000, 4500], now: 5000, ok: true },
    {
      case: 'over the limit (a changed rule)',
      uses: [4100, 4200, 4300, 4400],
      now: 5000,
      ok: false,
      retryAt: 5200,
    },
  ])('$case', ({ uses, now, ok, retryAt }) => {
    const decision = decideRate(uses, now, RULE);
    expect(decision.ok).toBe(ok);
    if (!decision.ok) expect(decision.retryAt).toBe(retryAt);
  });

  it('counts an allowed use and forgets aged-out ones; a refusal is not a use', () => {
    expect(decideRate([3000, 4500], 5000, RULE)).toEqual({ ok: true, uses: [4500, 5000] });
    expect(decideRate([4100, 4200, 4300], 5000, RULE)).toEqual({
      ok: false,
      uses: [4100, 4200, 4300],
      retryAt: 5100,
    });
  });
});

describe('RateLimiter', () => {
  it('limits each key on its own, and allows again once the window has passed', () => {
    let now = 0;
    const limiter = new RateLimiter(RULE, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.take('U1')).toEqual({ ok: true });
      now += 10;
    }
    expect(limiter.take('U1')).toEqual({ ok: false, retryAt: 1000 });
    expect(limiter.take('U2')).toEqual({ ok: true });
    now = 999;
    expect(limiter.take('U1').ok).toBe(false);
    now = 1000;
    expect(limiter.take('U1')).toEqual({ ok: true });
  });
});
