// Slack's documented limits, in one place, so the fake rejects what Slack rejects and a test or benchmark can see
// which rule fired. Two parts: Block Kit validation (messages and modals → the `invalid_blocks` /
// `invalid_arguments` answers with Slack's `[ERROR] … [json-pointer:…]` messages) and per-method rate limits
// (token buckets → HTTP 429 with `Retry-After`). Sources are named next to each figure; windows are configurable
// so a unit test can trip a limit in milliseconds while a benchmark uses Slack's real values.

/** Sizes of Block Kit and of the arguments the fake checks. Defaults are Slack's documented values. */
export interface BlockLimits {
  /** blocks per message (docs: "Blocks" reference, chat.postMessage `blocks`). */
  messageBlocks: number;
  /** blocks per modal/Home view (docs: view objects). */
  modalBlocks: number;
  /** section `text` (docs: section block, 3000). */
  sectionText: number;
  /** section `fields` items and each field's text (docs: section block, 10 and 2000). */
  sectionFields: number;
  sectionFieldText: number;
  /** header text (docs: header block, 150). */
  headerText: number;
  /** button text and value (docs: button element, 75 and 2000), url 3000. */
  buttonText: number;
  buttonValue: number;
  buttonUrl: number;
  /** action_id and block_id (docs: 255). */
  actionId: number;
  blockId: number;
  /** elements of an actions block (25) and of a context block (10) (docs). */
  actionsElements: number;
  contextElements: number;
  /** option text 75, value 150, options 100 (docs: option object, select menus). */
  optionText: number;
  optionValue: number;
  options: number;
  /** placeholder 150 (docs: select menus, inputs). */
  placeholder: number;
  /** input label 2000, hint 2000 (docs: input block). */
  inputLabel: number;
  /** confirmation dialog: title 100, text 300, confirm/deny 30 (docs: confirmation dialog object). */
  confirmTitle: number;
  confirmText: number;
  confirmButton: number;
  /** modal title, submit, close 24; private_metadata 3000; callback_id 255 (docs: view object). */
  modalTitle: number;
  modalButton: number;
  privateMetadata: number;
  callbackId: number;
  /**
   * Whole `blocks` array, as JSON characters, above which Slack answers `msg_blocks_too_long`. Undocumented; the
   * figure is observed: slackapi/bolt-js#2509 reports failures from about 13,200 characters of blocks (13,297 with
   * markdown blocks only, 13,172 with a divider added), and #2867 a rejection at 11,341 text characters once the
   * block containers are counted. The fake measures `JSON.stringify(blocks).length`, which counts the containers.
   */
  blocksJsonChars: number;
  /** message `text` (docs: chat.postMessage, truncation/`msg_too_long` at 40,000). */
  messageText: number;
}

export const SLACK_BLOCK_LIMITS: Readonly<BlockLimits> = Object.freeze({
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  actionsElements: 25,
  contextElements: 10,
  optionText: 75,
  optionValue: 150,
  options: 100,
  placeholder: 150,
  inputLabel: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  blocksJsonChars: 13_200,
  messageText: 40_000,
});

/** One rejected rule, as Slack words it: `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`. */
export interface BlockProblem {
  pointer: string;
  message: string;
}

/** Slack's `response_metadata.messages` entries for a list of problems. */
export function errorMessages(problems: BlockProblem[]): string[] {
  return problems.map((p) => `[ERROR] ${p.message} [json-pointer:${p.pointer}]`);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly problems: BlockProblem[] = [];
  constructor(readonly limits: BlockLimits) {}

  add(pointer: string, message: string): void {
    this.problems.push({ pointer, message });
  }

  /** A string no longer than `max` (Slack: "must be less than max+1 characters"). */
  maxLength(value: unknown, max: number, pointer: string, required = false): void {
    if (value === undefined || value === null) {
      if (required) this.add(pointer, 'must provide a string');
      return;
    }
    if (typeof value !== 'string') return this.add(pointer, 'must be a string');
    if (required && value.length === 0) return this.add(pointer, 'must be more than 0 characters');
    if (value.length > max) this.add(pointer, `must be less than ${max + 1} characters`);
  }

  /** A text object: `{type: plain_text|mrkdwn, text}`, optionally plain_text only. */
  text(value: unknown, max: number, pointer: string, opts: { required?: boolean; plainOnly?: boolean } = {}): void {
    if (value === undefined) {
      if (opts.required) this.add(pointer, 'must provide an object');
      return;
    }
    if (!isObject(value)) return this.add(pointer, 'must provide an object');
    const allowed = opts.plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
    if (!allowed.includes(value.type as string)) {
      this.add(`${pointer}/type`, `must be one of ${allowed.map((t) => `"${t}"`).join(', ')}`);
    }
    this.maxLength(value.text, max, `${pointer}/text`, true);
  }

  confirm(value: unknown, pointer: string): void {
    if (value === undefined) return;
    if (!isObject(value)) return this.add(pointer, 'must provide an object');
    const l = this.limits;
    this.text(value.title, l.confirmTitle, `${pointer}/title`, { required: true, plainOnly: true });
    this.text(value.text, l.confirmText, `${pointer}/text`, { required: true });
    this.text(value.confirm, l.confirmButton, `${pointer}/confirm`, { required: true, plainOnly: true });
    this.text(value.deny, l.confirmButton, `${pointer}/deny`, { required: true, plainOnly: true });
  }

  /** An interactive element (button, selects, inputs…); `actionIds` collects the ids of one block. */
  element(value: unknown, pointer: string, actionIds: Set<string>): void {
    if (!isObject(value)) return this.add(pointer, 'must provide an object');
    const l = this.limits;
    const type = value.type;
    if (typeof type !== 'string') return this.add(`${pointer}/type`, 'must provide a string');
    if (value.action_id !== undefined) {
      this.maxLength(value.action_id, l.actionId, `${pointer}/action_id`, true);
      if (typeof value.action_id === 'string') {
        if (actionIds.has(value.action_id)) this.add(`${pointer}/action_id`, `action_id already exists: ${value.action_id}`);
        actionIds.add(value.action_id);
      }
    }
    this.confirm(value.confirm, `${pointer}/confirm`);
    if (type === 'button') {
      this.text(value.text, l.buttonText, `${pointer}/text`, { required: true, plainOnly: true });
      this.maxLength(value.value, l.buttonValue, `${pointer}/value`);
      this.maxLength(value.url, l.buttonUrl, `${pointer}/url`);
      if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') {
        this.add(`${pointer}/style`, 'must be one of "primary", "danger"');
      }
      return;
    }
    if (type === 'image') return; // an image element inside context/section accessory: image_url + alt_text
    if (value.placeholder !== undefined) {
      this.text(value.placeholder, l.placeholder, `${pointer}/placeholder`, { plainOnly: true });
    }
    const options = value.options;
    if (options !== undefined) {
      if (!Array.isArray(options)) return this.add(`${pointer}/options`, 'must provide an array');
      if (options.length > l.options) this.add(`${pointer}/options`, `no more than ${l.options} items allowed`);
      options.forEach((option, i) => this.option(option, `${pointer}/options/${i}`));
    }
  }

  option(value: unknown, pointer: string): void {
    if (!isObject(value)) return this.add(pointer, 'must provide an object');
    this.text(value.text, this.limits.optionText, `${pointer}/text`, { required: true });
    this.maxLength(value.value, this.limits.optionValue, `${pointer}/value`, true);
  }

  block(value: unknown, pointer: string, blockIds: Set<string>): void {
    if (!isObject(value)) return this.add(pointer, 'must provide an object');
    const l = this.limits;
    if (value.block_id !== undefined) {
      this.maxLength(value.block_id, l.blockId, `${pointer}/block_id`, true);
      if (typeof value.block_id === 'string') {
        if (blockIds.has(value.block_id)) this.add(`${pointer}/block_id`, `duplicate block_id: ${value.block_id}`);
        blockIds.add(value.block_id);
      }
    }
    const actionIds = new Set<string>();
    switch (value.type) {
      case 'section': {
        if (value.text === undefined && value.fields === undefined) this.add(pointer, 'must provide either text or fields');
        this.text(value.text, l.sectionText, `${pointer}/text`);
        if (value.fields !== undefined) {
          if (!Array.isArray(value.fields)) this.add(`${pointer}/fields`, 'must provide an array');
          else {
            if (value.fields.length > l.sectionFields) this.add(`${pointer}/fields`, `no more than ${l.sectionFields} items allowed`);
            value.fields.forEach((f, i) => this.text(f, l.sectionFieldText, `${pointer}/fields/${i}`, { required: true }));
          }
        }
        if (value.accessory !== undefined) this.element(value.accessory, `${pointer}/accessory`, actionIds);
        return;
      }
      case 'header':
        return this.text(value.text, l.headerText, `${pointer}/text`, { required: true, plainOnly: true });
      case 'divider':
        return;
      case 'actions':
      case 'context': {
        const max = value.type === 'actions' ? l.actionsElements : l.contextElements;
        const elements = value.elements;
        if (!Array.isArray(elements) || elements.length === 0) return this.add(`${pointer}/elements`, 'must provide a non-empty array');
        if (elements.length > max) this.add(`${pointer}/elements`, `no more than ${max} items allowed`);
        elements.forEach((e, i) => {
          const p = `${pointer}/elements/${i}`;
          if (value.type === 'context' && isObject(e) && (e.type === 'mrkdwn' || e.type === 'plain_text')) {
            this.text(e, l.sectionText, p);
          } else {
            this.element(e, p, actionIds);
          }
        });
        return;
      }
      case 'input': {
        this.text(value.label, l.inputLabel, `${pointer}/label`, { required: true, plainOnly: true });
        if (value.hint !== undefined) this.text(value.hint, l.inputLabel, `${pointer}/hint`, { plainOnly: true });
        return this.element(value.element, `${pointer}/element`, actionIds);
      }
      case 'image':
      case 'rich_text':
      case 'markdown':
      case 'file':
      case 'video':
      case 'context_actions':
      case 'table':
        return;
      default:
        this.add(`${pointer}/type`, `unsupported type: ${String(value.type)}`);
    }
  }
}

/**
 * Validates a message's `blocks` (already parsed). Returns the problems, empty when Slack would accept them.
 * `surface: 'modal'` allows 100 blocks instead of 50.
 */
export function validateBlocks(blocks: unknown, limits: BlockLimits, surface: 'message' | 'modal' = 'message', base = '/blocks'): BlockProblem[] {
  const c = new Checker(limits);
  if (!Array.isArray(blocks)) {
    c.add(base, 'must provide an array');
    return c.problems;
  }
  const max = surface === 'modal' ? limits.modalBlocks : limits.messageBlocks;
  if (blocks.length > max) c.add(base, `no more than ${max} items allowed`);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => c.block(b, `${base}/${i}`, blockIds));
  return c.problems;
}

/** Validates a `view` argument of views.open/update/push (a modal). Problems point under `/view`. */
export function validateView(view: unknown, limits: BlockLimits): BlockProblem[] {
  const c = new Checker(limits);
  if (!isObject(view)) {
    c.add('/view', 'must provide an object');
    return c.problems;
  }
  if (view.type !== 'modal' && view.type !== 'home') c.add('/view/type', 'must be one of "modal", "home"');
  if (view.type === 'modal') {
    c.text(view.title, limits.modalTitle, '/view/title', { required: true, plainOnly: true });
    c.text(view.submit, limits.modalButton, '/view/submit', { plainOnly: true });
    c.text(view.close, limits.modalButton, '/view/close', { plainOnly: true });
  }
  c.maxLength(view.private_metadata, limits.privateMetadata, '/view/private_metadata');
  c.maxLength(view.callback_id, limits.callbackId, '/view/callback_id');
  c.maxLength(view.external_id, limits.callbackId, '/view/external_id');
  return [...c.problems, ...validateBlocks(view.blocks ?? [], limits, 'modal', '/view/blocks')];
}

// ---------------------------------------------------------------------------------------------------------------
// Rate limits

/**
 * A token bucket: `burst` calls at once, refilled at `limit` per `windowMs`. Slack describes its tiers as "N+ per
 * minute" with bursts tolerated, and `chat.postMessage` as about one message per second per channel with short
 * bursts allowed (docs: Web API rate limits); a bucket expresses both.
 */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
  /** calls allowed at once before throttling; defaults to `limit`. */
  burst?: number;
  /** which argument splits the bucket (chat.postMessage: `channel`). */
  per?: 'channel';
}

export type RateLimits = Record<string, RateLimitRule | null>;

const TIER2: RateLimitRule = { limit: 20, windowMs: 60_000 };
const TIER3: RateLimitRule = { limit: 50, windowMs: 60_000 };
const TIER4: RateLimitRule = { limit: 100, windowMs: 60_000 };

/**
 * Slack's published limits for the methods the bot uses (docs: each method's "Rate limits" fact and the Web API
 * rate-limits page). The chat.postMessage burst of 3 is the fake's choice: Slack allows "short bursts" without a
 * figure, and a small burst keeps the bot honest.
 */
export const SLACK_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({
  'chat.postMessage': { limit: 1, windowMs: 1000, burst: 3, per: 'channel' },
  'chat.update': TIER3,
  'usergroups.users.list': TIER2,
  'chat.postEphemeral': TIER4,
  'views.open': TIER4,
  'users.info': TIER4,
  'conversations.info': TIER3,
  'files.getUploadURLExternal': TIER4,
  'files.completeUploadExternal': TIER4,
});

/** Buckets keyed by method, token and (for chat.postMessage) channel. The clock is the fake's, so tests may move it. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    public rules: RateLimits,
    private readonly now: () => number,
    /** multiplies every window: 0.01 turns a minute into 600 ms for unit tests. */
    public windowScale = 1,
  ) {}

  /** Takes one call from the bucket; returns the seconds to wait (Slack's integer `Retry-After`, ≥ 1) when empty. */
  take(method: string, token: string, args: Record<string, unknown>): number | undefined {
    const rule = this.rules[method];
    if (!rule) return undefined;
    const windowMs = rule.windowMs * this.windowScale;
    const capacity = rule.burst ?? rule.limit;
    const key = `${method}\u0000${token}\u0000${rule.per === 'channel' ? String(args.channel ?? '') : ''}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) * rule.limit) / windowMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    const waitMs = ((1 - bucket.tokens) * windowMs) / rule.limit;
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  reset(): void {
    this.buckets.clear();
  }
}
