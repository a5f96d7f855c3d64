// The Web API methods the bot uses, each answering as Slack documents it: `{ok:true, …}` or HTTP 200
// `{ok:false, error}` with Slack's error codes. Pure functions of (workspace, arguments) so the server only has to
// decode, authenticate, rate-limit and journal; anything the bot may get wrong (channel, blocks, trigger_id, plan)
// is checked here, in the order Slack checks it as far as the docs and observed answers tell.
import { type BlockLimits, errorMessages, validateBlocks, validateView } from './limits.js';
import type { StoredMessage, Workspace } from './state.js';

export type TokenKind = 'bot' | 'user' | 'app';
export type Answer = Record<string, unknown> & { ok: boolean };

export interface MethodContext {
  ws: Workspace;
  limits: BlockLimits;
  args: Record<string, unknown>;
  token: string;
  tokenKind: TokenKind;
  /** `http://127.0.0.1:<port>`, for URLs the fake hands out (upload_url, Socket Mode). */
  baseUrl: string;
  /** issues a Socket Mode URL (set when Socket Mode is available). */
  openSocket?: () => string;
}

export interface MethodSpec {
  /** token kinds the method accepts; others get `not_allowed_token_type`. */
  tokens: TokenKind[];
  handle(ctx: MethodContext): Answer;
}

const fail = (error: string, extra: Record<string, unknown> = {}): Answer => ({ ok: false, error, ...extra });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const bool = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;

/** `invalid_arguments` with Slack's `[ERROR] …` messages. */
function invalidArguments(messages: string[]): Answer {
  return fail('invalid_arguments', { response_metadata: { messages } });
}

/**
 * Text and blocks of a message (postMessage, update, postEphemeral, response_url): `no_text`, `msg_too_long`,
 * `invalid_blocks_format` (not a JSON array), `invalid_blocks` (with `errors` and `response_metadata.messages`),
 * `msg_blocks_too_long`. Returns the accepted content or the error answer.
 */
export function checkContent(
  args: Record<string, unknown>,
  limits: BlockLimits,
  opts: { requireContent?: boolean } = {},
): { text?: string; blocks?: unknown[] } | { error: Answer } {
  const text = typeof args.text === 'string' ? args.text : undefined;
  const rawBlocks = args.blocks;
  const hasAttachments = args.attachments !== undefined && args.attachments !== '';
  if ((opts.requireContent ?? true) && (text === undefined || text === '') && rawBlocks === undefined && !hasAttachments) {
    return { error: fail('no_text') };
  }
  if (text !== undefined && text.length > limits.messageText) return { error: fail('msg_too_long') };
  if (rawBlocks === undefined) return { text };
  if (!Array.isArray(rawBlocks)) return { error: fail('invalid_blocks_format') };
  const problems = validateBlocks(rawBlocks, limits, 'message');
  if (problems.length > 0) {
    const messages = errorMessages(problems);
    return { error: fail('invalid_blocks', { errors: messages.map((m) => m.replace(/^\[ERROR\] /, '')), response_metadata: { messages } }) };
  }
  if (JSON.stringify(rawBlocks).length > limits.blocksJsonChars) return { error: fail('msg_blocks_too_long') };
  return { text, blocks: rawBlocks };
}

function messageObject(ws: Workspace, m: StoredMessage): Record<string, unknown> {
  return {
    type: 'message',
    user: m.user,
    bot_id: m.bot_id,
    app_id: ws.appId,
    team: ws.teamId,
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    text: m.text ?? '',
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.metadata ? { metadata: m.metadata } : {}),
  };
}

/** The channel a message goes to, with Slack's answers for a missing, archived or not-joined channel. */
function postableChannel(ctx: MethodContext, ref: unknown): { id: string } | { error: Answer } {
  // A user ID as the channel posts in the app's direct messages with that user (its App Home).
  const user = typeof ref === 'string' && /^[UW]/.test(ref) ? ctx.ws.users.get(ref) : undefined;
  if (user) return user.deleted ? { error: fail('user_not_found') } : { id: ctx.ws.directChannel(user.id).id };
  const ch = ctx.ws.channel(ref);
  if (!ch) return { error: fail('channel_not_found') };
  if (ch.isArchived) return { error: fail('is_archived') };
  if (ch.isMember === false) return { error: fail('not_in_channel') };
  return { id: ch.id };
}

function userObject(ws: Workspace, id: string): Record<string, unknown> | undefined {
  const u = ws.users.get(id);
  if (!u) return undefined;
  return {
    id: u.id,
    team_id: ws.teamId,
    name: u.name,
    deleted: u.deleted ?? false,
    real_name: u.realName ?? u.name,
    tz: u.tz ?? 'Etc/UTC',
    is_admin: u.isAdmin ?? false,
    is_owner: false,
    is_bot: u.isBot ?? false,
    is_app_user: false,
    profile: { real_name: u.realName ?? u.name, display_name: u.name, ...(u.email ? { email: u.email } : {}), team: ws.teamId },
  };
}

export const METHODS: Record<string, MethodSpec> = {
  'auth.test': {
    tokens: ['bot', 'user', 'app'],
    handle: ({ ws, tokenKind }) => ({
      ok: true,
      url: `https://${ws.teamDomain}.slack.com/`,
      team: ws.teamDomain,
      user: 'rollouts-cv',
      team_id: ws.teamId,
      user_id: ws.botUserId,
      ...(tokenKind === 'bot' ? { bot_id: ws.botId } : {}),
      app_id: ws.appId,
      is_enterprise_install: false,
    }),
  },

  'chat.postMessage': {
    tokens: ['bot', 'user'],
    handle: (ctx) => {
      const { ws, args } = ctx;
      const ch = postableChannel(ctx, args.channel);
      if ('error' in ch) return ch.error;
      const content = checkContent(args, ctx.limits);
      if ('error' in content) return content.error;
      const ts = ws.nextTs();
      const m: StoredMessage = {
        channel: ch.id,
        ts,
        thread_ts: str(args.thread_ts),
        user: ws.botUserId,
        bot_id: ws.botId,
        text: content.text,
        blocks: content.blocks,
        metadata: args.metadata,
        versions: [{ text: content.text, blocks: content.blocks, at: ws.now(), via: 'chat.postMessage' }],
      };
      ws.storeMessage(m);
      return { ok: true, channel: ch.id, ts, message: messageObject(ws, m) };
    },
  },

  'chat.update': {
    tokens: ['bot', 'user'],
    handle: (ctx) => {
      const { ws, args } = ctx;
      const ch = ws.channel(args.channel);
      if (!ch) return fail('channel_not_found');
      const ts = str(args.ts);
      const m = ts ? ws.message(ch.id, ts) : undefined;
      if (!m || m.deleted) return fail('message_not_found');
      if (m.user !== ws.botUserId) return fail('cant_update_message');
      const content = checkContent(args, ctx.limits);
      if ('error' in content) return content.error;
      if (content.text !== undefined) m.text = content.text;
      if (content.blocks !== undefined) m.blocks = content.blocks;
      if (args.metadata !== undefined) m.metadata = args.metadata;
      m.versions.push({ text: m.text, blocks: m.blocks, at: ws.now(), via: 'chat.update' });
      return { ok: true, channel: ch.id, ts: m.ts, text: m.text ?? '', message: messageObject(ws, m) };
    },
  },

  'chat.delete': {
    tokens: ['bot', 'user'],
    handle: ({ ws, args }) => {
      const ch = ws.channel(args.channel);
      if (!ch) return fail('channel_not_found');
      const ts = str(args.ts);
      const m = ts ? ws.message(ch.id, ts) : undefined;
      if (!m || m.deleted) return fail('message_not_found');
      if (m.user !== ws.botUserId) return fail('cant_delete_message');
      m.deleted = true;
      return { ok: true, channel: ch.id, ts: m.ts };
    },
  },

  'chat.postEphemeral': {
    tokens: ['bot', 'user'],
    handle: (ctx) => {
      const { ws, args } = ctx;
      const ch = postableChannel(ctx, args.channel);
      if ('error' in ch) return ch.error;
      const user = str(args.user);
      if (!user || !ws.users.has(user)) return fail('user_not_found');
      const members = ws.channels.get(ch.id)?.members;
      if (members && !members.includes(user)) return fail('user_not_in_channel');
      const content = checkContent(args, ctx.limits);
      if ('error' in content) return content.error;
      const message_ts = ws.nextTs();
      ws.ephemerals.push({ channel: ch.id, user, message_ts, text: content.text, blocks: content.blocks, via: 'chat.postEphemeral' });
      return { ok: true, message_ts };
    },
  },

  'views.open': {
    tokens: ['bot', 'user'],
    handle: ({ ws, args, limits }) => {
      const triggerId = str(args.trigger_id);
      if (!triggerId) return invalidArguments(['[ERROR] missing required field: trigger_id']);
      const trigger = ws.triggers.get(triggerId);
      if (!trigger) return fail('invalid_trigger_id');
      if (ws.now() - trigger.issuedAt > ws.triggerTtlMs) return fail('expired_trigger_id');
      if (trigger.used) return fail('exchanged_trigger_id');
      const view = args.view;
      if (view === undefined) return invalidArguments(['[ERROR] missing required field: view']);
      if (typeof view === 'string') return invalidArguments(['[ERROR] failed to parse view as JSON [json-pointer:/view]']);
      if (JSON.stringify(view).length > 250_000) return fail('view_too_large');
      const problems = validateView(view, limits);
      if (problems.length > 0) return invalidArguments(errorMessages(problems));
      const v = view as Record<string, unknown>;
      const externalId = str(v.external_id);
      if (externalId && [...ws.views.values()].some((x) => x.view.external_id === externalId)) return fail('duplicate_external_id');
      trigger.used = true;
      const id = ws.nextId('V');
      const stored = {
        id,
        team_id: ws.teamId,
        ...v,
        private_metadata: v.private_metadata ?? '',
        callback_id: v.callback_id ?? '',
        external_id: v.external_id ?? '',
        state: { values: {} },
        hash: `${Math.floor(ws.now() / 1000)}.${id}`,
        previous_view_id: null,
        root_view_id: id,
        app_id: ws.appId,
        bot_id: ws.botId,
      };
      ws.views.set(id, { id, view: stored, at: ws.now() });
      return { ok: true, view: stored };
    },
  },

  'views.update': {
    tokens: ['bot', 'user'],
    handle: ({ ws, args, limits }) => {
      const viewId = str(args.view_id);
      const externalId = str(args.external_id);
      const entry = viewId ? ws.views.get(viewId) : [...ws.views.values()].find((x) => externalId && x.view.external_id === externalId);
      if (!entry) return fail('not_found');
      if (args.hash !== undefined && args.hash !== entry.view.hash) return fail('hash_conflict');
      const problems = validateView(args.view, limits);
      if (problems.length > 0) return invalidArguments(errorMessages(problems));
      const v = args.view as Record<string, unknown>;
      entry.view = { ...entry.view, ...v, hash: `${Math.floor(ws.now() / 1000)}.${entry.id}.${ws.nextId('h')}` };
      return { ok: true, view: entry.view };
    },
  },

  'usergroups.users.list': {
    tokens: ['bot', 'user'],
    handle: ({ ws, args }) => {
      if (ws.freePlan) return fail('plan_upgrade_required');
      const id = str(args.usergroup);
      if (!id) return fail('missing_argument');
      const group = ws.usergroups.get(id);
      if (!group || (group.disabled && !bool(args.include_disabled))) return fail('no_such_subteam');
      return { ok: true, users: [...group.users] };
    },
  },

  'users.info': {
    tokens: ['bot', 'user'],
    handle: ({ ws, args }) => {
      const id = str(args.user);
      const user = id ? userObject(ws, id) : undefined;
      return user ? { ok: true, user } : fail('user_not_found');
    },
  },

  'conversations.info': {
    tokens: ['bot', 'user'],
    handle: ({ ws, args }) => {
      const ch = ws.channel(args.channel);
      // Slack hides private channels the caller is not in: they are "not found".
      if (!ch || (ch.isPrivate && ch.isMember === false)) return fail('channel_not_found');
      return {
        ok: true,
        channel: {
          id: ch.id,
          name: ch.name,
          is_channel: !ch.isPrivate,
          is_group: false,
          is_im: false,
          is_private: ch.isPrivate ?? false,
          is_archived: ch.isArchived ?? false,
          is_member: ch.isMember ?? true,
          context_team_id: ws.teamId,
        },
      };
    },
  },

  'files.getUploadURLExternal': {
    tokens: ['bot', 'user'],
    handle: ({ ws, args, baseUrl }) => {
      const filename = str(args.filename);
      const length = Number(args.length);
      if (!filename) return invalidArguments(['[ERROR] missing required field: filename']);
      if (!Number.isInteger(length) || length < 1) return invalidArguments(['[ERROR] missing required field: length']);
      const id = ws.nextId('F');
      ws.files.set(id, { id, filename, length, completed: false });
      return { ok: true, upload_url: `${baseUrl}/upload/v1/${id}`, file_id: id };
    },
  },

  'files.completeUploadExternal': {
    tokens: ['bot', 'user'],
    handle: (ctx) => {
      const { ws, args } = ctx;
      const files = args.files;
      if (!Array.isArray(files) || files.length === 0) return invalidArguments(['[ERROR] missing required field: files']);
      const found = files.map((f) => ws.files.get(str((f as { id?: unknown }).id) ?? ''));
      if (found.some((f) => !f || f.uploadedBytes === undefined)) return fail('file_not_found');
      let channel: string | undefined;
      if (args.channel_id !== undefined || args.channels !== undefined) {
        const ch = postableChannel(ctx, args.channel_id ?? String(args.channels).split(',')[0]);
        if ('error' in ch) return ch.error;
        channel = ch.id;
      }
      const out = found.map((f, i) => {
        const file = f!;
        file.completed = true;
        file.title = str((files[i] as { title?: unknown }).title) ?? file.filename;
        file.channel = channel;
        return { id: file.id, name: file.filename, title: file.title, size: file.uploadedBytes, created: Math.floor(ws.now() / 1000) };
      });
      if (channel) {
        const ts = ws.nextTs();
        const text = str(args.initial_comment) ?? '';
        ws.storeMessage({
          channel,
          ts,
          thread_ts: str(args.thread_ts),
          user: ws.botUserId,
          bot_id: ws.botId,
          text,
          files: out.map((f) => f.id),
          versions: [{ text, at: ws.now(), via: 'files.completeUploadExternal' }],
        });
      }
      return { ok: true, files: out };
    },
  },

  'apps.connections.open': {
    tokens: ['app'],
    handle: ({ openSocket }) => (openSocket ? { ok: true, url: openSocket() } : fail('internal_error')),
  },
};
