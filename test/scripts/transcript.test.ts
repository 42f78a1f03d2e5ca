/**
 * Who sees a Slack call, and the transcripts built from them (`npm run demo` as
 * it happens, `npm run local -- show` per person), and the buttons the driver
 * finds on messages as they are now.
 */
import { describe, expect, it } from 'vitest';
import { type CallRecord, responseIdFor, surfaceOf } from '../../scripts/lib/slack-surfaces.js';
import { changedLines, LiveTranscript, seenSoFar } from '../../scripts/lib/transcript.js';
import { findButton, findMenuOptions } from '../../scripts/local/fake-slack-reader.js';

const OPTIONS = {
  names: { UALICE0001: 'alice', UBOB000001: 'bob' },
  channels: { CAPPROVALS1: 'breakglass' },
};
const ok = { ok: true };

function post(channel: string, text: string, extra: Partial<CallRecord> = {}): CallRecord {
  return {
    method: 'chat.postMessage',
    path: '/api/chat.postMessage',
    args: { channel, text },
    outcome: ok,
    ...extra,
  };
}

const approveButton = (value: string) => ({
  type: 'actions',
  elements: [
    { type: 'button', action_id: 'bg_approve', text: { type: 'plain_text', text: 'Approve' }, value },
  ],
});

describe('surfaceOf', () => {
  it('tells the channel, its threads, DMs, private replies (by the clicking user) and App Homes apart', () => {
    const where = (call: CallRecord) => surfaceOf(call, OPTIONS)?.where;
    expect(where(post('CAPPROVALS1', 'x'))).toBe('#breakglass');
    expect(where(post('CAPPROVALS1', 'x', { args: { channel: 'CAPPROVALS1', thread_ts: '1.1' } }))).toBe(
      '#breakglass (thread)',
    );
    expect(where(post('UALICE0001', 'x'))).toBe('DM to alice');
    const reply = (args: Record<string, unknown>): CallRecord => ({
      method: 'response_url',
      path: `/response/${responseIdFor('UBOB000001', 'act-1')}`,
      args,
    });
    expect(where(reply({ text: 'x' }))).toBe('only bob sees');
    expect(where(reply({ text: 'x', replace_original: true }))).toBe('replaces what bob clicked');
    expect(where({ method: 'views.publish', path: '', args: { user_id: 'UALICE0001', view: {} } })).toBe(
      'App Home of alice',
    );
    expect(where({ method: 'auth.test', path: '', args: {} })).toBeUndefined();
    expect(where(post('CAPPROVALS1', 'x', { outcome: { ok: false, error: 'not_in_channel' } }))).toBe(
      '#breakglass (Slack refused: not_in_channel)',
    );
  });
});

describe('transcripts', () => {
  it('changedLines: what went and what came, kept lines not repeated', () => {
    expect(changedLines(['a', 'b', 'c'], ['a', 'c', 'd'])).toEqual(['- b', '+ d']);
  });

  it('an update shows only what changed in that very message', () => {
    const live = new LiveTranscript(OPTIONS);
    live.next(post('CAPPROVALS1', 'Request\nWaiting 0/2', { ts: '1.1' }));
    live.next(post('CAPPROVALS1', 'Other', { ts: '1.2' }));
    const update = live.next({
      method: 'chat.update',
      path: '',
      args: { channel: 'CAPPROVALS1', ts: '1.1', text: 'Request\nWaiting 1/2' },
      outcome: ok,
    });
    expect(update).toEqual({
      where: '#breakglass (message updated)',
      lines: ['- Waiting 0/2', '+ Waiting 1/2'],
    });
  });

  it('seen so far: each message in its latest version with its thread, then what each person alone saw', () => {
    const calls: CallRecord[] = [
      post('CAPPROVALS1', 'Request: waiting', { ts: '1.1' }),
      post('UALICE0001', 'Your window is open', { ts: '1.2' }),
      {
        ...post('CAPPROVALS1', 'Approved in thread'),
        args: { channel: 'CAPPROVALS1', text: 'Approved', thread_ts: '1.1' },
      },
      {
        method: 'chat.update',
        path: '',
        args: { channel: 'CAPPROVALS1', ts: '1.1', text: 'Request: closed' },
        outcome: ok,
      },
    ];
    const views = seenSoFar(calls, OPTIONS);
    expect(views.map((v) => v.title)).toEqual([
      '#breakglass (what everyone in the channel sees)',
      'alice (only they see)',
    ]);
    expect(views[0]?.surfaces).toEqual([
      { where: '#breakglass', lines: ['Request: closed'] },
      { where: '  in the thread', lines: ['Approved'] },
    ]);
    expect(views[1]?.surfaces[0]?.lines).toEqual(['Your window is open']);
  });
});

describe('what the driver can click', () => {
  it('a button counts only while the latest version of its message still shows it', () => {
    const value = JSON.stringify({ id: 'BG-1', h: 'x' });
    const shown = post('CAPPROVALS1', 'BG-1', {
      ts: '1.1',
      args: { channel: 'CAPPROVALS1', blocks: [approveButton(value)] },
    });
    expect(findButton([shown], 'bg_approve', 'BG-1')?.value).toBe(value);
    expect(findButton([shown], 'bg_approve', 'BG-2')).toBeUndefined();
    const gone: CallRecord = {
      method: 'chat.update',
      path: '',
      args: { channel: 'CAPPROVALS1', ts: '1.1', blocks: [] },
      outcome: ok,
    };
    expect(findButton([shown, gone], 'bg_approve', 'BG-1')).toBeUndefined();
  });

  it('finds the Extend options offered for a request in a DM', () => {
    const extend = {
      type: 'actions',
      elements: [
        {
          type: 'static_select',
          action_id: 'bg_extend',
          options: [{ text: { type: 'plain_text', text: '30m more' }, value: 'BG-1|1800' }],
        },
      ],
    };
    const dm = post('UALICE0001', 'open', { ts: '1.1', args: { channel: 'UALICE0001', blocks: [extend] } });
    expect(findMenuOptions([dm], 'bg_extend', 'BG-1', 'UALICE0001')).toEqual([
      { label: '30m more', value: 'BG-1|1800' },
    ]);
    expect(findMenuOptions([dm], 'bg_extend', 'BG-1', 'UBOB000001')).toBeUndefined();
  });
});
