// Slack user group membership, looked up with usergroups.users.list (Tier 2: about 20 calls a minute, so cached
// for a short time). Any failure counts as "not a member": authorisation fails closed, and the reason is kept so
// the user is told why.
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../shared/log.js';

interface Entry {
  members: ReadonlySet<string>;
  expires: number;
}

export interface Membership {
  groups: Set<string>;
  /** Groups whose members could not be read, with Slack's error. */
  unknown: { group: string; error: string }[];
}

export class GroupDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly client: WebClient,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The groups among `groups` that `userId` belongs to. */
  async membership(userId: string, groups: readonly string[]): Promise<Membership> {
    const result: Membership = { groups: new Set(), unknown: [] };
    await Promise.all(
      groups.map(async (group) => {
        try {
          if ((await this.members(group)).has(userId)) result.groups.add(group);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.log.warn({ group, err: message }, 'cannot read a user group; treating the user as not a member');
          result.unknown.push({ group, error: message });
        }
      }),
    );
    return result;
  }

  private async members(group: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(group);
    if (cached && cached.expires > this.now()) return cached.members;
    // Concurrent lookups of one group share a single API call.
    let pending = this.inFlight.get(group);
    if (!pending) {
      pending = this.client.usergroups.users
        .list({ usergroup: group })
        .then((response) => {
          const members = new Set(response.users ?? []);
          this.cache.set(group, { members, expires: this.now() + this.ttlMs });
          return members;
        })
        .finally(() => this.inFlight.delete(group));
      this.inFlight.set(group, pending);
    }
    return pending;
  }
}
