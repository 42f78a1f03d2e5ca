/**
 * Who may approve and who may request, from configured user ids (U…) and user
 * groups (S…). Group members come from usergroups.users.list, a low-tier method,
 * so they are cached; a failed lookup is not cached and counts as "not a member".
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import type { Authorizer } from '../workflow/ports.js';

const GROUP_TTL_MS = 5 * 60_000;

export class SlackPeople implements Authorizer {
  private readonly groups = new Map<string, { members: Promise<Set<string>>; expires: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly approvers: readonly string[],
    private readonly requesters: readonly string[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  isApprover(userId: string): Promise<boolean> {
    return this.includes(this.approvers, userId);
  }

  async mayRequest(userId: string): Promise<boolean> {
    return this.requesters.length === 0 || this.includes(this.requesters, userId);
  }

  private async includes(ids: readonly string[], userId: string): Promise<boolean> {
    if (ids.includes(userId)) return true;
    for (const group of ids.filter((id) => id.startsWith('S'))) {
      if ((await this.members(group)).has(userId)) return true;
    }
    return false;
  }

  private members(group: string): Promise<Set<string>> {
    const cached = this.groups.get(group);
    if (cached && cached.expires > this.now()) return cached.members;
    const members = this.client.usergroups.users
      .list({ usergroup: group })
      .then((res) => new Set(res.users ?? []))
      .catch((error: unknown) => {
        this.groups.delete(group);
        this.log.warn(
          { group, err: error instanceof Error ? error.message : String(error) },
          'could not list user group members',
        );
        return new Set<string>();
      });
    this.groups.set(group, { members, expires: this.now() + GROUP_TTL_MS });
    return members;
  }
}
