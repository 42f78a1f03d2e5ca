/**
 * Before posting again after a lost answer: did an earlier attempt reach Slack?
 * One place for the rules every announcer follows: only this bot's own messages
 * count, the look happens only when the earlier outcome is unknown, and a look
 * Slack will not answer (a missing history scope, a rate limit) lets the post go
 * out, at worst twice, with a warning.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import type { NoticeRef } from '../workflow/ports.js';
import { toDeliveryError } from './delivery-errors.js';
import { findPosted } from './posted-lookup.js';

export class EarlierPosts {
  private botId: Promise<string> | undefined;

  constructor(
    private readonly client: WebClient,
    private readonly log?: Logger,
  ) {}

  /** The ts of this bot's earlier post of `ref` in the channel (or thread), if a retry finds one. */
  async find(
    where: { channel: string; threadTs?: string },
    ref: NoticeRef | undefined,
  ): Promise<string | undefined> {
    if (!ref?.retry) return undefined;
    return this.look(ref.requestId, async () => findPosted(this.client, where, ref, await this.ownBotId()));
  }

  /**
   * Runs a look for an earlier delivery. A transient failure is thrown (the
   * notice is retried, the doubt kept); any other is logged and taken as "not found".
   */
  async look<T>(requestId: string, find: () => Promise<T>): Promise<T | undefined> {
    try {
      return await find();
    } catch (error) {
      const failure = toDeliveryError(error);
      // A rate-limited look is not retried either: holding the channel for it could
      // hold every notice behind a lookup Slack keeps refusing.
      if (failure.failure === 'transient') throw failure;
      this.log?.warn(
        { requestId, slackError: failure.code },
        'could not check whether an earlier attempt posted this notice; posting it (it may appear twice)',
      );
      return undefined;
    }
  }

  /** This bot's id (auth.test), asked once: only its own messages can be an earlier post. */
  private async ownBotId(): Promise<string> {
    this.botId ??= this.client.auth.test().then(
      (res) => res.bot_id ?? '',
      (error: unknown) => {
        this.botId = undefined;
        throw error;
      },
    );
    return this.botId;
  }
}
