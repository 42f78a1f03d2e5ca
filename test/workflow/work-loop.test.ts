/**
 * The polling loop under the scheduler and the outbox, on a fake clock: when it
 * polls, how it backs off after failed claims, and how it stops.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log.js';
import { errorText, WorkLoop } from '../../src/workflow/work-loop.js';

const TICK = 100;
let lines: string[];
let claims: number[];
let queue: string[];
let failClaims: number;
let ran: string[];
let running: Map<string, () => void>;
/** how long each claim takes, on the fake clock */
let claimMs: number;

function loop(options: { concurrency?: number; run?: (item: string) => Promise<void> } = {}) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return new WorkLoop<string>({
    name: 'test-loop',
    tickMs: TICK,
    concurrency: options.concurrency ?? 2,
    log: createLogger({ level: 'debug' }, sink),
    claim: async () => {
      claims.push(Date.now());
      if (claimMs) await new Promise((resolve) => setTimeout(resolve, claimMs));
      if (failClaims > 0) {
        failClaims -= 1;
        throw new Error('database is locked');
      }
      return queue.shift();
    },
    run:
      options.run ??
      (async (item) => {
        ran.push(item);
      }),
  });
}

/** A run that waits until the test lets the item finish. */
function heldRun(item: string): Promise<void> {
  ran.push(item);
  return new Promise((resolve) => running.set(item, resolve));
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  lines = [];
  claims = [];
  queue = [];
  failClaims = 0;
  ran = [];
  running = new Map();
  claimMs = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WorkLoop', () => {
  it('polls once a tick, and at once when woken', async () => {
    const l = loop();
    l.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(claims).toEqual([0]);
    await vi.advanceTimersByTimeAsync(TICK * 3);
    expect(claims).toEqual([0, 100, 200, 300]);
    queue.push('a');
    await vi.advanceTimersByTimeAsync(50);
    l.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a']);
    // The claim that found "a", the one that found nothing after it, and one more when its slot came free.
    expect(claims.slice(4)).toEqual([350, 350, 350]);
    await l.stop();
  });

  it('backs off after failed claims, doubling up to eight ticks, and logs each', async () => {
    failClaims = 5;
    const l = loop();
    l.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await l.stop();
    expect(claims.slice(0, 7)).toEqual([0, 200, 600, 1400, 2200, 3000, 3100]);
    const errors = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(errors).toHaveLength(5);
    expect(errors[4]).toMatchObject({
      level: 50,
      err: 'database is locked',
      loop: 'test-loop',
      failedPolls: 5,
      msg: 'could not claim work; retrying',
    });
  });

  it('polls again right away when woken during a poll', async () => {
    const l = loop({ concurrency: 1, run: heldRun });
    queue.push('a', 'b');
    l.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a']);
    expect(l.active).toBe(1);
    running.get('a')?.();
    await vi.advanceTimersByTimeAsync(0);
    // The slot that came free was filled without waiting for the tick.
    expect(ran).toEqual(['a', 'b']);
    running.get('b')?.();
    await l.stop();
  });

  it('runs items side by side up to its concurrency, and logs a failed one', async () => {
    const l = loop({
      concurrency: 2,
      run: async (item) => {
        if (item === 'bad') throw new Error('boom');
        await heldRun(item);
      },
    });
    queue.push('bad', 'a', 'b', 'c');
    l.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a', 'b']);
    expect(l.active).toBe(2);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 50,
      err: 'boom',
      loop: 'test-loop',
      msg: 'work item failed',
    });
    running.get('a')?.();
    running.get('b')?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a', 'b', 'c']);
    running.get('c')?.();
    await l.stop();
  });

  it('does nothing before it starts, and stops claiming once stopped, waiting for running items', async () => {
    const l = loop({ concurrency: 1, run: heldRun });
    queue.push('a', 'b');
    l.wake();
    await vi.advanceTimersByTimeAsync(TICK * 5);
    expect(claims).toEqual([]);
    l.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = l.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(TICK * 5);
    expect(stopped).toBe(false);
    running.get('a')?.();
    await stopping;
    await vi.advanceTimersByTimeAsync(TICK * 5);
    expect(ran).toEqual(['a']);
    expect(claims).toHaveLength(1);
    l.wake();
    await vi.advanceTimersByTimeAsync(TICK);
    expect(claims).toHaveLength(1);
  });

  it('drains everything due, then returns', async () => {
    queue.push('a', 'b', 'c');
    const l = loop({ concurrency: 2 });
    await l.drain();
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(l.lastPollAt).toBe(0);
  });
});

describe('WorkLoop with slow claims', () => {
  it('never runs two polls at once, so it never runs more items than its concurrency', async () => {
    claimMs = 10;
    queue.push('a', 'b', 'c');
    const l = loop({ concurrency: 1, run: heldRun });
    l.start();
    // Woken again and again while its first claim is still out.
    l.wake();
    l.wake();
    await vi.advanceTimersByTimeAsync(100);
    expect(ran).toEqual(['a']);
    expect(l.active).toBe(1);
    running.get('a')?.();
    await vi.advanceTimersByTimeAsync(100);
    expect(ran).toEqual(['a', 'b']);
    running.get('b')?.();
    await vi.advanceTimersByTimeAsync(100);
    running.get('c')?.();
    await l.stop();
  });

  it('stops claiming as soon as it is told to, even in the middle of a poll', async () => {
    claimMs = 10;
    queue.push('a', 'b', 'c');
    const l = loop({ concurrency: 3, run: heldRun });
    l.start();
    await vi.advanceTimersByTimeAsync(5);
    const stopping = l.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(ran).toEqual(['a']);
    running.get('a')?.();
    await stopping;
    const polled = l.lastPollAt;
    await vi.advanceTimersByTimeAsync(TICK * 10);
    expect(claims).toHaveLength(1);
    // Stopped for good: it no longer even polls, so the scheduler reports a stall.
    expect(l.lastPollAt).toBe(polled);
  });
});

describe('errorText', () => {
  it('is the message of an error, or the thing itself as text', () => {
    expect(errorText(new Error('boom'))).toBe('boom');
    expect(errorText('plain')).toBe('plain');
    expect(errorText(42)).toBe('42');
  });
});
