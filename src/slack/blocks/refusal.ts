/**
 * A modal that only says no: what a modal opened before a permission check
 * (trigger ids expire after 3 s, user-group lookups are slow) becomes when the
 * check refuses. No inputs, no submit button. Pure.
 */
import type { ModalView } from '@slack/types';
import { clipPlain } from '../text.js';
import { LIMITS, mrkdwnSection } from './kit.js';

const plain = (text: string) => ({ type: 'plain_text' as const, text });

/** `text` is mrkdwn the caller wrote (escape any user text in it first). */
export function refusalModal(title: string, text: string): ModalView {
  return {
    type: 'modal',
    title: plain(clipPlain(title, LIMITS.viewTitle)),
    close: plain('Close'),
    blocks: [mrkdwnSection(text)],
  };
}
