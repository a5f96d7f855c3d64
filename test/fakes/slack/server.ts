// The fake Slack over HTTP: `POST /api/<method>` (Bearer token or `token` field; form, JSON or multipart bodies),
// response_url endpoints (`POST /response/<id>`), upload URLs (`POST /upload/v1/<file_id>`) and Socket Mode
// upgrades (`/link/`). It decodes the request as Slack would, authenticates, applies the rate limits, hands the
// arguments to the method, and journals request and answer; the Slack-specific rules live in methods.ts,
// limits.ts and state.ts. Started from tests and benchmarks on 127.0.0.1 with port 0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BlockLimits, RateLimiter, type RateLimits, SLACK_BLOCK_LIMITS, SLACK_RATE_LIMITS } from './limits.js';
import { type Answer, checkContent, METHODS, type TokenKind } from './methods.js';
import { FakeSocketMode } from './socket.js';
import { Journal, type JournalEntry, type StoredEphemeral, type StoredMessage, Workspace, type WorkspaceOptions } from './state.js';

export interface FakeSlackOptions extends WorkspaceOptions {
  /** the bot token the App uses (default `xoxb-fake-bot-token`). */
  botToken?: string;
  /** the app-level token for Socket Mode (default `xapp-fake-app-token`). */
  appToken?: string;
  /** user tokens (xoxp-), if a test needs one. */
  userTokens?: string[];
  /** overrides of Slack's block and argument limits. */
  blockLimits?: Partial<BlockLimits>;
  /** per-method rate-limit overrides (`null` turns one off), or `false` to turn rate limiting off entirely. */
  rateLimits?: Partial<RateLimits> | false;
  /** multiplies every rate-limit window (0.01: a minute becomes 600 ms). Default 1, Slack's real windows. */
  rateLimitWindowScale?: number;
}

/** Arguments Slack takes as JSON strings in form bodies; the fake parses them back for checks and the journal. */
const JSON_ARGS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'user_auth_blocks']);

export class FakeSlack {
  readonly workspace: Workspace;
  readonly journal = new Journal();
  readonly limits: BlockLimits;
  readonly rateLimiter: RateLimiter;
  readonly socketMode: FakeSocketMode;
  readonly botToken: string;
  readonly appToken: string;
  private readonly tokens = new Map<string, TokenKind>();
  private readonly server: Server;
  private port = 0;

  private constructor(opts: FakeSlackOptions) {
    this.workspace = new Workspace(opts);
    this.limits = { ...SLACK_BLOCK_LIMITS, ...opts.blockLimits };
    const rules = (opts.rateLimits === false ? {} : { ...SLACK_RATE_LIMITS, ...opts.rateLimits }) as RateLimits;
    this.rateLimiter = new RateLimiter(rules, () => this.workspace.now(), opts.rateLimitWindowScale ?? 1);
    this.botToken = opts.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = opts.appToken ?? 'xapp-fake-app-token';
    this.tokens.set(this.botToken, 'bot');
    this.tokens.set(this.appToken, 'app');
    for (const t of opts.userTokens ?? []) this.tokens.set(t, 'user');
    this.socketMode = new FakeSocketMode(this.workspace, this.journal, () => `ws://127.0.0.1:${this.port}`);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.socketMode.handleUpgrade(req, socket, head));
  }

  /** Starts a fake on 127.0.0.1 and a free port. */
  static async start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(opts);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:<port>/api/` — the WebClient's `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** WebClient / Bolt `clientOptions` pointing at the fake; no retries unless given. */
  clientOptions(extra: Record<string, unknown> = {}): { slackApiUrl: string; retryConfig: { retries: number }; [k: string]: unknown } {
    return { slackApiUrl: this.apiUrl, retryConfig: { retries: 0 }, ...extra };
  }

  /** A fresh trigger_id, valid 3 s and once, as Slack puts in a slash command or an interaction. */
  triggerId(): string {
    return this.workspace.issueTrigger();
  }

  /** A fresh response_url on the fake (5 uses within 30 min), optionally tied to the message a button was on. */
  responseUrl(context: { channel?: string; messageTs?: string; user?: string } = {}): string {
    return `${this.url}/response/${this.workspace.issueResponseUrl(context)}`;
  }

  /** The current state of a message (latest text/blocks, every version), or undefined. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.workspace.message(channel, ts);
  }

  /** Messages posted, oldest first, optionally in one channel. */
  messages(channel?: string): StoredMessage[] {
    return [...this.workspace.messages.values()].filter((m) => channel === undefined || m.channel === channel);
  }

  /** Ephemeral messages (chat.postEphemeral and ephemeral response_url replies). */
  ephemerals(user?: string): StoredEphemeral[] {
    return this.workspace.ephemerals.filter((e) => user === undefined || e.user === user);
  }

  /** Shorthand for `journal.waitFor`. */
  waitFor(predicate: (e: JournalEntry) => boolean, timeoutMs?: number): Promise<JournalEntry> {
    return this.journal.waitFor(predicate, timeoutMs);
  }

  /** Moves the fake's clock forward (expires trigger_ids and response_urls, refills rate-limit buckets). */
  advance(ms: number): void {
    this.workspace.advance(ms);
  }

  async close(): Promise<void> {
    await this.socketMode.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/api/')) return this.api(url, req, raw, res);
    if (url.pathname.startsWith('/response/') && req.method === 'POST') return this.responseUrlPost(url, req, raw, res);
    if (url.pathname.startsWith('/upload/v1/') && req.method === 'POST') return this.upload(url, req, raw, res);
    send(res, 404, { ok: false, error: 'not_found' });
  }

  private async api(url: URL, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const method = url.pathname.slice('/api/'.length);
    const decoded = await decodeArgs(url, req, raw);
    const at = () => this.workspace.now();
    const answer = (status: number, body: Answer, token?: string, args: Record<string, unknown> = {}, retryAfter?: number) => {
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
      send(res, status, body, headers);
      this.journal.record({ at: at(), kind: 'api', method, token, args, status, response: body, retryAfter });
    };
    if ('error' in decoded) return answer(200, { ok: false, error: decoded.error });
    const { args, bodyToken } = decoded;
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : bodyToken;
    const spec = METHODS[method];
    if (!spec) return answer(200, { ok: false, error: 'unknown_method' }, token, args);
    if (!token) return answer(200, { ok: false, error: 'not_authed' }, token, args);
    const kind = this.tokens.get(token);
    if (!kind) return answer(200, { ok: false, error: 'invalid_auth' }, token, args);
    if (!spec.tokens.includes(kind)) return answer(200, { ok: false, error: 'not_allowed_token_type' }, token, args);
    const wait = this.rateLimiter.take(method, token, args);
    if (wait !== undefined) return answer(429, { ok: false, error: 'ratelimited' }, token, args, wait);
    const body = spec.handle({
      ws: this.workspace,
      limits: this.limits,
      args,
      token,
      tokenKind: kind,
      baseUrl: this.url,
      openSocket: () => this.socketMode.issueUrl(),
    });
    answer(200, body, token, args);
  }

  /**
   * A response_url: JSON `{text, blocks, response_type, replace_original, delete_original, thread_ts}`. Usable
   * `responseUrlMaxUses` times within `responseUrlTtlMs` (Slack: 5 times within 30 minutes); after that, or for an
   * unknown URL, HTTP 404 `{ok:false, error:"expired_url"}` (the error reported for spent response_urls).
   */
  private responseUrlPost(url: URL, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const ws = this.workspace;
    const id = decodeURIComponent(url.pathname.slice('/response/'.length));
    const record = ws.responseUrls.get(id);
    let args: Record<string, unknown> = {};
    const reply = (status: number, body: Answer) => {
      send(res, status, body);
      this.journal.record({ at: ws.now(), kind: 'response_url', method: 'response_url', args: { ...args, response_url_id: id }, status, response: body });
    };
    try {
      args = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      return reply(400, { ok: false, error: 'invalid_payload' });
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return reply(400, { ok: false, error: 'invalid_payload' });
    if (!record || record.uses >= ws.responseUrlMaxUses || ws.now() - record.createdAt > ws.responseUrlTtlMs) {
      return reply(404, { ok: false, error: 'expired_url' });
    }
    record.uses += 1;
    const target = record.channel && record.messageTs ? ws.message(record.channel, record.messageTs) : undefined;
    if (args.delete_original === true || args.delete_original === 'true') {
      if (target) target.deleted = true;
      return reply(200, { ok: true });
    }
    const content = checkContent(args, this.limits);
    if ('error' in content) return reply(400, content.error);
    if ((args.replace_original === true || args.replace_original === 'true') && target) {
      if (content.text !== undefined) target.text = content.text;
      target.blocks = content.blocks;
      target.versions.push({ text: target.text, blocks: target.blocks, at: ws.now(), via: 'response_url' });
    } else if (args.response_type === 'in_channel' && record.channel) {
      const ts = ws.nextTs();
      ws.storeMessage({
        channel: record.channel,
        ts,
        thread_ts: typeof args.thread_ts === 'string' ? args.thread_ts : undefined,
        user: ws.botUserId,
        bot_id: ws.botId,
        text: content.text,
        blocks: content.blocks,
        versions: [{ text: content.text, blocks: content.blocks, at: ws.now(), via: 'response_url' }],
      });
    } else {
      ws.ephemerals.push({
        channel: record.channel ?? '',
        user: record.user ?? '',
        message_ts: ws.nextTs(),
        text: content.text,
        blocks: content.blocks,
        via: 'response_url',
      });
    }
    reply(200, { ok: true });
  }

  /** An upload URL from files.getUploadURLExternal: takes the bytes (raw or multipart), answers `OK - <length>`. */
  private async upload(url: URL, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const ws = this.workspace;
    const id = url.pathname.slice('/upload/v1/'.length);
    const file = ws.files.get(id);
    let content = raw;
    const type = String(req.headers['content-type'] ?? '');
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
      const part = [...form.values()].find((v): v is File => typeof v !== 'string');
      content = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
    }
    const status = file && !file.completed ? 200 : 404;
    if (file && status === 200) {
      file.uploadedBytes = content.length;
      file.content = content;
    }
    const text = status === 200 ? `OK - ${content.length}` : 'file_not_found';
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
    this.journal.record({ at: ws.now(), kind: 'upload', method: 'upload', args: { file_id: id, bytes: content.length, content_type: type }, status, response: text });
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Arguments from the query string and the body, as Slack reads them: form fields (JSON-string arguments parsed),
 * a JSON object (where a `token` field is not accepted: JSON callers must send the Authorization header), or
 * multipart fields. Slack's answers for bodies it cannot read: missing_post_type, invalid_post_type,
 * invalid_form_data, invalid_json.
 */
async function decodeArgs(
  url: URL,
  req: IncomingMessage,
  raw: Buffer,
): Promise<{ args: Record<string, unknown>; bodyToken?: string } | { error: string }> {
  const fields: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (raw.length > 0) {
    if (type === '') return { error: 'missing_post_type' };
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        return { error: 'invalid_json' };
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'invalid_json' };
      const { token: _ignored, ...rest } = parsed as Record<string, unknown>;
      return { args: { ...fields, ...rest } };
    }
    if (type === 'application/x-www-form-urlencoded' || type === 'text/plain') {
      for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) fields[k] = v;
    } else if (type === 'multipart/form-data') {
      try {
        const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
        for (const [k, v] of form) fields[k] = typeof v === 'string' ? v : `<file ${v.size} bytes>`;
      } catch {
        return { error: 'invalid_form_data' };
      }
    } else {
      return { error: 'invalid_post_type' };
    }
  }
  const { token, ...args } = fields;
  for (const key of Object.keys(args)) {
    const v = args[key];
    if (JSON_ARGS.has(key) && typeof v === 'string') {
      try {
        args[key] = JSON.parse(v);
      } catch {
        // left as a string: the method answers invalid_blocks_format / invalid_arguments
      }
    }
  }
  return { args, bodyToken: typeof token === 'string' ? token : undefined };
}
