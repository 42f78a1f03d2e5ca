/**
 * A trigger id is good for 3 s after the click or command; a permission check
 * may need `usergroups.users.list`, a slow low-tier call. So a modal is opened
 * first and checked after: if the check refuses, the open modal becomes a plain
 * refusal (`views.update`), or, if Slack will not update it (the person closed
 * it already), the refusal is told another way.
 */

import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../log.js';
import { refusalModal } from '../blocks/refusal.js';

export interface OpenFirst {
  client: WebClient;
  triggerId: string;
  view: ModalView;
  /** the permission check, run once the modal is open */
  allowed: () => Promise<boolean>;
  /** the refusal's title (24 characters) and mrkdwn text (built once the check has refused) */
  refusal: { title: string; text: () => string };
  /** tells the refusal when the modal cannot show it (an ephemeral answer) */
  tell: (text: string) => Promise<unknown>;
  log: Logger;
}

/** Opens the modal, then checks; true when allowed (the modal stays as opened). */
export async function openThenCheck(o: OpenFirst): Promise<boolean> {
  const opened = await o.client.views.open({ trigger_id: o.triggerId, view: o.view });
  if (await o.allowed()) return true;
  const text = o.refusal.text();
  const id = opened.view?.id;
  try {
    if (!id) throw new Error('views.open returned no view id');
    await o.client.views.update({
      view_id: id,
      ...(opened.view?.hash ? { hash: opened.view.hash } : {}),
      view: refusalModal(o.refusal.title, text),
    });
  } catch (error) {
    o.log.info(
      { err: error instanceof Error ? error.message : String(error) },
      'could not turn the modal into a refusal; answering ephemerally',
    );
    await o.tell(text);
  }
  return false;
}
