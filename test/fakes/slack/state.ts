// What the fake workspace knows and remembers, apart from HTTP: channels, users, user groups, the messages the bot
// posted (with every edit), one-time trigger_ids and response_urls, uploaded files, and the journal of every call.
// Kept apart from the server so tests can read and arrange it directly, and so its clock can be moved forward to
// expire a trigger_id or a response_url without sleeping.

export interface FakeChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  isArchived?: boolean;
  /** false → chat.postMessage answers `not_in_channel` (the bot was not invited). Default true. */
  isMember?: boolean;
  /** user IDs in the channel; when given, chat.postEphemeral to anyone else answers `user_not_in_channel`. */
  members?: string[];
}

export interface FakeUser {
  id: string;
  name: string;
  realName?: string;
  isAdmin?: boolean;
  isBot?: boolean;
  deleted?: boolean;
  tz?: string;
  email?: string;
}

export interface FakeUsergroup {
  id: string;
  handle?: string;
  users: string[];
  /** disabled groups answer like unknown ones unless `include_disabled` is passed. */
  disabled?: boolean;
}

export interface MessageVersion {
  text?: string;
  blocks?: unknown[];
  at: number;
  /** what changed it: chat.postMessage, chat.update, or a response_url (replace_original). */
  via: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id: string;
  /** the latest text and blocks. */
  text?: string;
  blocks?: unknown[];
  metadata?: unknown;
  /** every version, oldest first; `versions.length - 1` is the number of edits. */
  versions: MessageVersion[];
  deleted?: boolean;
  /** files shared into the channel with this message (files.completeUploadExternal). */
  files?: string[];
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text?: string;
  blocks?: unknown[];
  via: string;
}

export interface StoredFile {
  id: string;
  filename: string;
  length: number;
  uploadedBytes?: number;
  content?: Buffer;
  title?: string;
  completed: boolean;
  channel?: string;
}

export interface TriggerRecord {
  id: string;
  issuedAt: number;
  used: boolean;
}

export interface ResponseUrlRecord {
  id: string;
  createdAt: number;
  uses: number;
  /** the message a block action came from: `replace_original`/`delete_original` act on it. */
  channel?: string;
  messageTs?: string;
  /** the user who triggered it: ephemeral replies go to them. */
  user?: string;
}

/** One call into the fake, decoded. `args` has JSON-string arguments (`blocks`, `view`, `files`, …) parsed back. */
export interface JournalEntry {
  seq: number;
  /** epoch ms on the fake's clock when the answer was sent. */
  at: number;
  kind: 'api' | 'response_url' | 'upload' | 'socket';
  /** Web API method, `response_url`, `upload`, or for Socket Mode `ack` / `push` / `connect`. */
  method: string;
  token?: string;
  args: Record<string, unknown>;
  status: number;
  /** the body answered (JSON value), or for socket entries the frame. */
  response: unknown;
  /** Retry-After seconds of a 429. */
  retryAfter?: number;
}

/** Every call, in order, with a way to wait for one. */
export class Journal {
  readonly entries: JournalEntry[] = [];
  private waiters: Array<{ predicate: (e: JournalEntry) => boolean; resolve: (e: JournalEntry) => void }> = [];

  record(entry: Omit<JournalEntry, 'seq'>): JournalEntry {
    const full: JournalEntry = { seq: this.entries.length + 1, ...entry };
    this.entries.push(full);
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate(full)) return true;
      w.resolve(full);
      return false;
    });
    return full;
  }

  /** Entries of one method (e.g. `chat.postMessage`), optionally only successful ones. */
  calls(method: string, opts: { ok?: boolean } = {}): JournalEntry[] {
    return this.entries.filter((e) => e.method === method && (opts.ok === undefined || isOk(e) === opts.ok));
  }

  /**
   * Resolves with the first entry (already recorded, or to come) matching `predicate`; rejects after `timeoutMs`
   * listing what was recorded, so a failing test says what the bot did instead.
   */
  waitFor(predicate: (e: JournalEntry) => boolean, timeoutMs = 2000): Promise<JournalEntry> {
    const found = this.entries.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (e: JournalEntry) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.entries.map((e) => `${e.method}${isOk(e) ? '' : ` (${describeFailure(e)})`}`).join(', ');
        reject(new Error(`no matching Slack call within ${timeoutMs} ms; calls so far: ${seen || 'none'}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** Whether an entry succeeded: HTTP 200 and, for JSON answers, `ok: true`. */
export function isOk(e: JournalEntry): boolean {
  if (e.kind === 'socket') return true;
  if (e.status !== 200) return false;
  const r = e.response as { ok?: unknown } | null;
  return typeof r !== 'object' || r === null || r.ok !== false;
}

function describeFailure(e: JournalEntry): string {
  const r = e.response as { error?: unknown } | null;
  return typeof r === 'object' && r !== null && typeof r.error === 'string' ? r.error : `HTTP ${e.status}`;
}

export interface WorkspaceOptions {
  teamId?: string;
  teamDomain?: string;
  enterpriseId?: string;
  appId?: string;
  botId?: string;
  botUserId?: string;
  channels?: FakeChannel[];
  users?: FakeUser[];
  usergroups?: FakeUsergroup[];
  /** a Free workspace: usergroups.* answer `plan_upgrade_required`. */
  freePlan?: boolean;
  /** the fake's clock in epoch ms (default `Date.now`); a frozen clock makes rate-limit tests exact. */
  clock?: () => number;
  /** trigger_id lifetime (Slack: 3 s) and response_url lifetime/uses (Slack: 30 min, 5). */
  triggerTtlMs?: number;
  responseUrlTtlMs?: number;
  responseUrlMaxUses?: number;
}

/** The workspace: directory data the tests arrange, and everything the bot created. */
export class Workspace {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly enterpriseId: string | undefined;
  readonly appId: string;
  readonly botId: string;
  readonly botUserId: string;
  freePlan: boolean;
  triggerTtlMs: number;
  responseUrlTtlMs: number;
  responseUrlMaxUses: number;

  readonly channels = new Map<string, FakeChannel>();
  readonly users = new Map<string, FakeUser>();
  readonly usergroups = new Map<string, FakeUsergroup>();
  /** key `${channel} ${ts}`. */
  readonly messages = new Map<string, StoredMessage>();
  readonly ephemerals: StoredEphemeral[] = [];
  readonly triggers = new Map<string, TriggerRecord>();
  readonly responseUrls = new Map<string, ResponseUrlRecord>();
  readonly files = new Map<string, StoredFile>();
  readonly views = new Map<string, { id: string; view: Record<string, unknown>; user?: string; at: number }>();

  private clockOffsetMs = 0;
  private readonly clock: () => number;
  private lastTsMicros = 0;
  private counter = 0;

  constructor(opts: WorkspaceOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.teamId = opts.teamId ?? 'T0FAKE0001';
    this.teamDomain = opts.teamDomain ?? 'fake-workspace';
    this.enterpriseId = opts.enterpriseId;
    this.appId = opts.appId ?? 'A0FAKE0001';
    this.botId = opts.botId ?? 'B0FAKE0001';
    this.botUserId = opts.botUserId ?? 'U0FAKEBOT1';
    this.freePlan = opts.freePlan ?? false;
    this.triggerTtlMs = opts.triggerTtlMs ?? 3000;
    this.responseUrlTtlMs = opts.responseUrlTtlMs ?? 30 * 60_000;
    this.responseUrlMaxUses = opts.responseUrlMaxUses ?? 5;
    const channels = opts.channels ?? [{ id: 'C0FAKE0001', name: 'deploys' }];
    for (const c of channels) this.channels.set(c.id, c);
    const users = opts.users ?? [
      { id: 'U0FAKE0001', name: 'alice', realName: 'Alice Example' },
      { id: 'U0FAKE0002', name: 'bob', realName: 'Bob Example' },
    ];
    for (const u of users) this.users.set(u.id, u);
    this.users.set(this.botUserId, { id: this.botUserId, name: 'rollouts-cv', isBot: true });
    for (const g of opts.usergroups ?? []) this.usergroups.set(g.id, g);
  }

  /** The fake's clock (epoch ms): the `clock` option (real time by default) plus whatever `advance` added. */
  now(): number {
    return this.clock() + this.clockOffsetMs;
  }

  /** Moves the fake's clock forward: expires trigger_ids, response_urls and refills rate-limit buckets. */
  advance(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** A Slack-style message timestamp, `seconds.micros`, strictly increasing across the workspace. */
  nextTs(): string {
    const micros = Math.max(this.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    const s = Math.floor(micros / 1e6);
    return `${s}.${String(micros - s * 1e6).padStart(6, '0')}`;
  }

  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(8, '0')}`;
  }

  /** Finds a channel by ID, or by name with or without `#`, as chat.postMessage accepts both. */
  channel(ref: unknown): FakeChannel | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    const byId = this.channels.get(ref);
    if (byId) return byId;
    const name = ref.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.name === name);
  }

  /** The app's direct-message channel with a user (Slack opens it when a bot posts to a user ID). */
  directChannel(userId: string): FakeChannel {
    const existing = [...this.channels.values()].find((c) => c.id.startsWith('D') && c.members?.length === 1 && c.members[0] === userId);
    if (existing) return existing;
    const channel: FakeChannel = { id: this.nextId('D'), name: userId, isPrivate: true, isMember: true, members: [userId] };
    this.channels.set(channel.id, channel);
    return channel;
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(`${channel} ${ts}`);
  }

  storeMessage(m: StoredMessage): void {
    this.messages.set(`${m.channel} ${m.ts}`, m);
  }

  /** A new trigger_id, as Slack puts in a slash command or interaction (valid `triggerTtlMs`, once). */
  issueTrigger(): string {
    const id = `${Math.floor(this.now() / 1000)}.${this.counter + 1}.${randomHex(16)}`;
    this.counter += 1;
    this.triggers.set(id, { id, issuedAt: this.now(), used: false });
    return id;
  }

  /** A new response_url id; the server turns it into `http://…/response/<id>`. */
  issueResponseUrl(context: Omit<ResponseUrlRecord, 'id' | 'createdAt' | 'uses'> = {}): string {
    const id = `${this.teamId}/${this.nextId('R')}/${randomHex(12)}`;
    this.responseUrls.set(id, { id, createdAt: this.now(), uses: 0, ...context });
    return id;
  }
}

function randomHex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i += 1) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}
