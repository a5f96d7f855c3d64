// Signed requests into Bolt's HTTP receiver (`POST /slack/events`), shaped as Slack sends them: slash commands
// (form fields), interactivity (`payload=<JSON>`: block_actions, view_submission), each signed `v0=` + HMAC-SHA256
// of `v0:<timestamp>:<raw body>` with the signing secret, content type exactly
// `application/x-www-form-urlencoded`. A test may pick a stale or future timestamp, a wrong secret or another
// content type to see the receiver refuse, and gets back the status, body and time to the HTTP answer.
import { createHmac } from 'node:crypto';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Where a request goes and how it is signed. */
export interface SigningOptions {
  /** Unix seconds put in `X-Slack-Request-Timestamp` (default now). */
  timestamp?: number;
  /** seconds added to now when `timestamp` is not given: −600 is stale, +600 in the future. */
  timestampOffsetSec?: number;
  /** the secret used to sign (default the client's): a wrong one gets 401. */
  signingSecret?: string;
  /** a literal `X-Slack-Signature` (e.g. malformed), bypassing signing. */
  signature?: string;
  /** content type sent (default exactly `application/x-www-form-urlencoded`). */
  contentType?: string;
  /** extra headers (e.g. `x-slack-retry-num`). */
  headers?: Record<string, string>;
}

export interface SlackHttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SlackHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** the raw body text. */
  body: string;
  /** the body as JSON when it parses, else undefined. */
  json: unknown;
  /** ms from sending to the response headers (what Slack's 3 s ack deadline measures). */
  elapsedMs: number;
  request: SlackHttpRequest;
}

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`. */
export function signature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** A signed request for `url` carrying exactly `body`. */
export function signedRequest(url: string, body: string, signingSecret: string, opts: SigningOptions = {}): SlackHttpRequest {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000) + (opts.timestampOffsetSec ?? 0);
  return {
    url,
    body,
    headers: {
      'content-type': opts.contentType ?? FORM_CONTENT_TYPE,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': opts.signature ?? signature(opts.signingSecret ?? signingSecret, timestamp, body),
      ...opts.headers,
    },
  };
}

/** Sends a request (POST) and times the answer. */
export async function sendRequest(req: SlackHttpRequest, timeoutMs = 10_000): Promise<SlackHttpResponse> {
  const started = performance.now();
  const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
  const elapsedMs = performance.now() - started;
  const body = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body, json, elapsedMs, request: req };
}

// ---------------------------------------------------------------------------------------------------------------
// Payloads

/** Who and where, shared by every payload. IDs follow Slack's forms (users may start with U or W). */
export interface SlackContext {
  teamId: string;
  teamDomain: string;
  /** set for Enterprise Grid; `team` becomes null in interactivity payloads when `orgWideInstall` is true. */
  enterpriseId?: string;
  enterpriseName?: string;
  orgWideInstall?: boolean;
  apiAppId: string;
  /** the legacy verification token Slack still sends (not used for verification). */
  verificationToken: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
}

export const DEFAULT_CONTEXT: SlackContext = {
  teamId: 'T0FAKE0001',
  teamDomain: 'fake-workspace',
  apiAppId: 'A0FAKE0001',
  verificationToken: 'fake-verification-token',
  userId: 'U0FAKE0001',
  userName: 'alice',
  channelId: 'C0FAKE0001',
  channelName: 'deploys',
};

/** Issues trigger_ids and response_urls; the fake Slack (FakeSlack) provides both. */
export interface InteractionIssuer {
  triggerId(): string;
  responseUrl(context?: { channel?: string; messageTs?: string; user?: string }): string;
}

let counter = 0;
const placeholderTrigger = () => `${Math.floor(Date.now() / 1000)}.${++counter}.placeholder`;
const placeholderResponseUrl = (ctx: SlackContext) => `https://hooks.slack.com/commands/${ctx.teamId}/${++counter}/placeholder`;
const actionTs = () => (Date.now() / 1000).toFixed(6);

export interface SlashCommandInput {
  command: string;
  text?: string;
  triggerId?: string;
  responseUrl?: string;
}

/** The form fields Slack sends for a slash command (all strings, `is_enterprise_install` included). */
export function slashCommandFields(input: SlashCommandInput, ctx: SlackContext = DEFAULT_CONTEXT): Record<string, string> {
  return {
    token: ctx.verificationToken,
    team_id: ctx.teamId,
    team_domain: ctx.teamDomain,
    ...(ctx.enterpriseId ? { enterprise_id: ctx.enterpriseId, enterprise_name: ctx.enterpriseName ?? 'Fake Org' } : {}),
    channel_id: ctx.channelId,
    channel_name: ctx.channelName,
    user_id: ctx.userId,
    user_name: ctx.userName,
    command: input.command,
    text: input.text ?? '',
    api_app_id: ctx.apiAppId,
    is_enterprise_install: String(ctx.orgWideInstall ?? false),
    response_url: input.responseUrl ?? placeholderResponseUrl(ctx),
    trigger_id: input.triggerId ?? placeholderTrigger(),
  };
}

/** A message as it appears in interactivity payloads (what the button was on). */
export interface MessageRef {
  ts: string;
  text?: string;
  blocks?: unknown[];
  user?: string;
  bot_id?: string;
  thread_ts?: string;
}

export interface ActionInput {
  action_id: string;
  block_id?: string;
  value?: string;
  /** element type, default `button`. */
  type?: string;
  text?: string;
  style?: string;
  selected_option?: unknown;
}

export interface BlockActionsInput {
  /** the actions; when omitted, `actionId` is looked up in `message.blocks` (the button the bot rendered). */
  actions?: ActionInput[];
  actionId?: string;
  message?: MessageRef;
  /** channel of the message (default the context's). */
  channelId?: string;
  triggerId?: string;
  responseUrl?: string;
  /** `state.values` of the message's inputs. */
  stateValues?: Record<string, unknown>;
}

/** Finds the element with `actionId` in Block Kit blocks, with its block_id. */
export function findAction(blocks: unknown[] | undefined, actionId: string): ActionInput | undefined {
  for (const block of blocks ?? []) {
    const b = block as { block_id?: string; elements?: unknown[]; accessory?: unknown };
    for (const el of [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])]) {
      const e = el as { action_id?: string; type?: string; value?: string; style?: string; text?: { text?: string } };
      if (e.action_id === actionId) {
        return { action_id: actionId, block_id: b.block_id, type: e.type, value: e.value, style: e.style, text: e.text?.text };
      }
    }
  }
  return undefined;
}

function userObject(ctx: SlackContext): Record<string, unknown> {
  return { id: ctx.userId, username: ctx.userName, name: ctx.userName, team_id: ctx.teamId };
}

function teamObject(ctx: SlackContext): Record<string, unknown> | null {
  return ctx.orgWideInstall ? null : { id: ctx.teamId, domain: ctx.teamDomain };
}

function enterpriseObject(ctx: SlackContext): Record<string, unknown> | null {
  return ctx.enterpriseId ? { id: ctx.enterpriseId, name: ctx.enterpriseName ?? 'Fake Org' } : null;
}

/** A `block_actions` payload as Slack sends it for a click on a message. */
export function blockActionsPayload(input: BlockActionsInput, ctx: SlackContext = DEFAULT_CONTEXT): Record<string, unknown> {
  let actions = input.actions;
  if (!actions) {
    if (!input.actionId) throw new Error('blockActionsPayload: give actions or actionId');
    const found = findAction(input.message?.blocks, input.actionId);
    if (!found) throw new Error(`blockActionsPayload: no element with action_id ${input.actionId} in the message`);
    actions = [found];
  }
  const channelId = input.channelId ?? ctx.channelId;
  const message = input.message;
  return {
    type: 'block_actions',
    user: userObject(ctx),
    api_app_id: ctx.apiAppId,
    token: ctx.verificationToken,
    container: message
      ? { type: 'message', message_ts: message.ts, channel_id: channelId, is_ephemeral: false }
      : { type: 'message', message_ts: actionTs(), channel_id: channelId, is_ephemeral: true },
    trigger_id: input.triggerId ?? placeholderTrigger(),
    team: teamObject(ctx),
    enterprise: enterpriseObject(ctx),
    is_enterprise_install: ctx.orgWideInstall ?? false,
    channel: { id: channelId, name: ctx.channelName },
    ...(message
      ? {
          message: {
            type: 'message',
            user: message.user,
            bot_id: message.bot_id,
            ts: message.ts,
            ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
            text: message.text ?? '',
            blocks: message.blocks ?? [],
            team: ctx.teamId,
          },
        }
      : {}),
    state: { values: input.stateValues ?? {} },
    response_url: input.responseUrl ?? placeholderResponseUrl(ctx),
    actions: actions.map((a) => ({
      action_id: a.action_id,
      block_id: a.block_id ?? 'block',
      type: a.type ?? 'button',
      ...(a.value !== undefined ? { value: a.value } : {}),
      ...(a.text !== undefined ? { text: { type: 'plain_text', text: a.text, emoji: true } } : {}),
      ...(a.style !== undefined ? { style: a.style } : {}),
      ...(a.selected_option !== undefined ? { selected_option: a.selected_option } : {}),
      action_ts: actionTs(),
    })),
  };
}

export interface ViewSubmissionInput {
  callbackId: string;
  /** `state.values`: `{ [block_id]: { [action_id]: { type, value | selected_option … } } }`. */
  values?: Record<string, Record<string, unknown>>;
  privateMetadata?: string;
  viewId?: string;
  blocks?: unknown[];
  title?: string;
  triggerId?: string;
  /** response_urls (only when the modal had `response_url_enabled` inputs). */
  responseUrls?: Array<{ block_id: string; action_id: string; channel_id: string; response_url: string }>;
}

/** A `view_submission` payload for a modal. */
export function viewSubmissionPayload(input: ViewSubmissionInput, ctx: SlackContext = DEFAULT_CONTEXT): Record<string, unknown> {
  const viewId = input.viewId ?? `V${String(++counter).padStart(8, '0')}`;
  return {
    type: 'view_submission',
    team: teamObject(ctx),
    user: userObject(ctx),
    api_app_id: ctx.apiAppId,
    token: ctx.verificationToken,
    trigger_id: input.triggerId ?? placeholderTrigger(),
    view: {
      id: viewId,
      team_id: ctx.teamId,
      type: 'modal',
      blocks: input.blocks ?? [],
      private_metadata: input.privateMetadata ?? '',
      callback_id: input.callbackId,
      state: { values: input.values ?? {} },
      hash: `${Math.floor(Date.now() / 1000)}.${viewId}`,
      title: { type: 'plain_text', text: input.title ?? 'Modal', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: { type: 'plain_text', text: 'Submit', emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: ctx.apiAppId,
      external_id: '',
      app_installed_team_id: ctx.teamId,
      bot_id: 'B0FAKE0001',
    },
    response_urls: input.responseUrls ?? [],
    is_enterprise_install: ctx.orgWideInstall ?? false,
    enterprise: enterpriseObject(ctx),
  };
}

/** Form body of a slash command. */
export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** Form body of an interactivity payload: the single field `payload=<JSON>`. */
export function payloadBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

// ---------------------------------------------------------------------------------------------------------------
// Client

export interface SlackRequestClientOptions {
  /** Bolt's endpoint, e.g. `http://127.0.0.1:<port>/slack/events`. */
  url: string;
  signingSecret: string;
  /** overrides of the default team/user/channel. */
  context?: Partial<SlackContext>;
  /** issues real trigger_ids and response_urls (pass the FakeSlack) so `views.open` and `respond()` reach it. */
  issuer?: InteractionIssuer;
}

/** Sends signed slash commands and interactions to one Bolt app, as one user unless told otherwise. */
export class SlackRequestClient {
  readonly context: SlackContext;

  constructor(private readonly opts: SlackRequestClientOptions) {
    this.context = { ...DEFAULT_CONTEXT, ...opts.context };
  }

  private ctx(overrides?: Partial<SlackContext>): SlackContext {
    return overrides ? { ...this.context, ...overrides } : this.context;
  }

  /** Signs and sends an arbitrary body. */
  send(body: string, signing: SigningOptions = {}): Promise<SlackHttpResponse> {
    return sendRequest(signedRequest(this.opts.url, body, this.opts.signingSecret, signing));
  }

  /** A slash command; trigger_id and response_url come from the issuer when there is one. */
  slashCommand(
    input: SlashCommandInput,
    opts: { as?: Partial<SlackContext>; signing?: SigningOptions } = {},
  ): Promise<SlackHttpResponse> {
    const ctx = this.ctx(opts.as);
    const issuer = this.opts.issuer;
    const fields = slashCommandFields(
      {
        ...input,
        triggerId: input.triggerId ?? issuer?.triggerId(),
        responseUrl: input.responseUrl ?? issuer?.responseUrl({ channel: ctx.channelId, user: ctx.userId }),
      },
      ctx,
    );
    return this.send(formBody(fields), opts.signing);
  }

  /** A block_actions click, e.g. `{ message: fake.message(channel, ts), actionId: 'approve' }`. */
  blockAction(input: BlockActionsInput, opts: { as?: Partial<SlackContext>; signing?: SigningOptions } = {}): Promise<SlackHttpResponse> {
    const ctx = this.ctx(opts.as);
    const issuer = this.opts.issuer;
    const channel = input.channelId ?? ctx.channelId;
    const payload = blockActionsPayload(
      {
        ...input,
        triggerId: input.triggerId ?? issuer?.triggerId(),
        responseUrl: input.responseUrl ?? issuer?.responseUrl({ channel, messageTs: input.message?.ts, user: ctx.userId }),
      },
      ctx,
    );
    return this.send(payloadBody(payload), opts.signing);
  }

  /** A modal submission. */
  viewSubmission(input: ViewSubmissionInput, opts: { as?: Partial<SlackContext>; signing?: SigningOptions } = {}): Promise<SlackHttpResponse> {
    const ctx = this.ctx(opts.as);
    const payload = viewSubmissionPayload({ ...input, triggerId: input.triggerId ?? this.opts.issuer?.triggerId() }, ctx);
    return this.send(payloadBody(payload), opts.signing);
  }
}
