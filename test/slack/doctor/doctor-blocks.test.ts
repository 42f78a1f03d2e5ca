import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../../src/domain/doctor.js';
import { doctorHomeBlocks, doctorMessage } from '../../../src/slack/blocks/doctor.js';
import { homeView } from '../../../src/slack/blocks/home.js';
import { refuseMessageBlocks, refuseView } from '../../fakes/slack/block-kit.js';

/** Many checks with long, hostile details: more than any message may hold. */
function manyChecks(n: number): DoctorCheck[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `Approver group S${i}`,
    status: i % 3 === 0 ? 'pass' : 'fail',
    detail: `<!channel> & ${'x'.repeat(400)} <@U1>`,
    fix: `user group S${i} has no members: add approvers to it in Slack`,
  }));
}

describe('doctor blocks', () => {
  it('a huge result stays within Block Kit limits and msg_blocks_too_long, escaped', () => {
    const message = doctorMessage({ at: Date.UTC(2026, 0, 1), checks: manyChecks(300) });
    expect(refuseMessageBlocks(message.blocks)).toBeUndefined();
    const text = JSON.stringify(message.blocks);
    expect(text.length).toBeLessThan(13_000);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; &amp;');
    expect(message.text).toBe('Doctor: 200 failed, 100 passed');
  });

  it('the App Home section fits a home view next to the rest, and says when none ran yet', () => {
    const overview = { isApprover: true, toApprove: [], active: [], recent: [], mayEnd: [] };
    const view = homeView(overview, { doctor: { last: { at: 0, checks: manyChecks(300) } } });
    expect(refuseView(view)).toBeUndefined();
    expect(JSON.stringify(doctorHomeBlocks(undefined))).toContain('has not finished a run yet');
    expect(
      JSON.stringify(homeView({ ...overview, isApprover: false }, { doctor: { last: undefined } })),
    ).not.toContain('Setup check');
  });
});
