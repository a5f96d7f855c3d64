// A seeded generator of a web shop's service logs with their true templates, for the log benchmark: every line
// knows the template it was printed from.
//
// A service logs a subset of MESSAGES, each printed by its component (logger) and one to three more, each a message of the code with
// variable parts: some masking recognises (numbers, ids, addresses, times, paths, durations, sizes, quoted
// words…) and some it cannot (user, table and queue names, states, regions, HTTP methods), which only clustering
// can tell from the message's fixed words. A template is one message printed by one component (its logger name is
// part of the line). Frequencies follow a Zipf law over the templates in a random order, so a few templates make
// most lines and many are rare; a healthy service also logs a few errors and warnings now and then (timeouts,
// retries). Lines come in one of two formats per service: plain (`<time> LEVEL [logger] message`) or logfmt
// (`ts=… level=… logger=… msg="…"`).
import { createRandom, type Random } from '../scenarios/random.js';

export type Level = 'info' | 'warn' | 'error';

/** A message of the code: its level and text, `{slot}` for each variable part (SLOTS). */
export interface Message {
  level: Level;
  text: string;
}

export interface Template {
  /** `<logger>/<index in MESSAGES>`, or `novel/<index in NOVEL_ERRORS>`. */
  id: string;
  logger: string;
  message: Message;
  /** Share of the service's lines. */
  weight: number;
}

export type LogFormat = 'plain' | 'logfmt';

export interface Service {
  seed: number;
  format: LogFormat;
  templates: Template[];
}

export interface LabelledLine {
  line: string;
  /** The template's id. */
  truth: string;
  level: Level;
}

const pick = <T>(random: Random, items: readonly T[]): T => random.pick(items);
const HEX = '0123456789abcdef';
/** `length` hex digits, eight from each draw. */
function hex(random: Random, length: number): string {
  let digits = '';
  let bits = 0;
  for (let i = 0; i < length; i++, bits >>>= 4) {
    if (i % 8 === 0) bits = (random.uniform() * 0x1_0000_0000) >>> 0;
    digits += HEX[bits & 15];
  }
  return digits;
}
const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
function alnum(random: Random, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALNUM[random.integer(0, ALNUM.length - 1)];
  return text;
}

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'j.smith', 'm.garcia', 'admin', 'svc-batch'];
const TABLES = ['orders', 'order_items', 'customers', 'payments', 'invoices', 'shipments', 'products', 'stock_levels', 'coupons', 'sessions', 'refunds', 'audit_log'];
const STATES = ['PENDING', 'PAID', 'PACKED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED', 'ON_HOLD'];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const QUEUES = ['order-events', 'payment-events', 'stock-updates', 'mail-outbox', 'search-index', 'audit'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'SEK'];
const CARRIERS = ['dhl', 'ups', 'fedex', 'postnord', 'gls'];
const PLANS = ['free', 'plus', 'pro', 'enterprise'];
const FEATURES = ['new-checkout', 'one-click', 'gift-wrap', 'express-shipping', 'loyalty-points'];
const RESOURCES = ['orders', 'customers', 'products', 'carts', 'invoices', 'coupons', 'shipments'];
const SERVICES = ['payments-api', 'inventory-api', 'pricing', 'search', 'shipping-gateway', 'fraud-check', 'mailer'];
const DOMAINS = ['example.com', 'mail.test', 'shop.example', 'corp.example.org'];

/** A variable part's values. */
export const SLOTS: Readonly<Record<string, (random: Random) => string>> = {
  // Masked.
  int: (r) => String(r.integer(0, 99_999)),
  count: (r) => String(r.integer(1, 50)),
  money: (r) => `${r.integer(1, 2000)}.${String(r.integer(0, 99)).padStart(2, '0')}`,
  ratio: (r) => r.between(0, 1).toFixed(3),
  uuid: (r) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`,
  trace: (r) => `${r.integer(1, 9)}${hex(r, 31)}`,
  hex: (r) => `0x${hex(r, r.integer(2, 8))}`,
  ip: (r) => `10.${r.integer(0, 255)}.${r.integer(0, 255)}.${r.integer(1, 254)}`,
  ipport: (r) => `10.${r.integer(0, 255)}.${r.integer(0, 255)}.${r.integer(1, 254)}:${r.integer(1024, 65_535)}`,
  hostport: (r) => `${pick(r, ['db', 'cache', 'kafka', 'search'])}-${r.integer(0, 5)}.shop.svc.cluster.local:${pick(r, ['5432', '6379', '9092', '9200'])}`,
  ms: (r) => `${r.integer(1, 3000)}ms`,
  secs: (r) => `${r.between(0.5, 30).toFixed(1)}s`,
  ts: (r) => `2025-06-${String(r.integer(1, 28)).padStart(2, '0')}T${String(r.integer(0, 23)).padStart(2, '0')}:${String(r.integer(0, 59)).padStart(2, '0')}:00Z`,
  path: (r) => `/api/v${r.integer(1, 2)}/${pick(r, RESOURCES)}/${r.integer(1, 999_999)}`,
  file: (r) => `/var/lib/shop/${pick(r, ['exports', 'imports', 'reports'])}/${pick(r, RESOURCES)}-${r.integer(1, 9999)}.csv`,
  url: (r) => `https://${pick(r, SERVICES)}.shop.svc:8443/v1/${pick(r, RESOURCES)}/${r.integer(1, 99_999)}`,
  email: (r) => `${pick(r, USERS).replace('.', '_')}${r.integer(1, 999)}@${pick(r, DOMAINS)}`,
  size: (r) => `${r.integer(1, 900)}${pick(r, ['KB', 'MB'])}`,
  qword: (r) => `"${pick(r, [...FEATURES, ...PLANS])}"`,
  // Not masked: only clustering can tell these from the fixed words.
  user: (r) => pick(r, USERS),
  table: (r) => pick(r, TABLES),
  state: (r) => pick(r, STATES),
  region: (r) => pick(r, REGIONS),
  method: (r) => pick(r, METHODS),
  queue: (r) => pick(r, QUEUES),
  currency: (r) => pick(r, CURRENCIES),
  carrier: (r) => pick(r, CARRIERS),
  plan: (r) => pick(r, PLANS),
  feature: (r) => pick(r, FEATURES),
  service: (r) => pick(r, SERVICES),
  pod: (r) => `${pick(r, ['checkout', 'orders', 'payments'])}-${hex(r, 9)}-${alnum(r, 5)}`,
  sku: (r) => `SKU-${alnum(r, 4).toUpperCase()}`,
};

const info = (text: string): Message => ({ level: 'info', text });
const warn = (text: string): Message => ({ level: 'warn', text });
const error = (text: string): Message => ({ level: 'error', text });

/** The messages a service's components print (each component prints some of them). */
export const MESSAGES: readonly Message[] = [
  info('{method} {path} {int} {ms}'),
  info('{method} {path} from {ip} status {int} took {ms}'),
  info('request {trace} handled in {ms} user={user}'),
  info('order {uuid} created for customer {user} with {count} items total {money} {currency}'),
  info('order {uuid} moved from {state} to {state}'),
  info('order {uuid} cancelled by {user}'),
  info('order {uuid} paid with card ending {int}'),
  info('payment {uuid} authorized amount={money} currency={currency}'),
  info('payment {uuid} captured after {ms}'),
  info('refund {uuid} issued for order {uuid} amount {money}'),
  info('reserved {count} units of {sku} for order {uuid}'),
  info('released reservation of {sku} after {secs}'),
  info('stock level of {sku} is {int} in warehouse {region}'),
  info('shipment {uuid} handed to {carrier} tracking {trace}'),
  info('label printed for shipment {uuid} by {carrier}'),
  info('user {user} logged in from {ip}'),
  info('user {user} logged out after {secs}'),
  info('session {trace} refreshed for {user}'),
  info('password reset mail sent to {email}'),
  info('sent {queue} message {uuid} partition {count} offset {int}'),
  info('consumed {int} messages from {queue} in {ms}'),
  info('committed offset {int} for {queue} partition {count}'),
  info('cache hit for {table} key {uuid}'),
  info('cache miss for {table} key {uuid}'),
  info('cache evicted {int} entries, size now {size}'),
  info('query on {table} returned {int} rows in {ms}'),
  info('inserted {count} rows into {table}'),
  info('connection pool stats: active={count} idle={count} waiting={count}'),
  info('connected to {hostport} after {ms}'),
  info('scheduled job {feature} started at {ts}'),
  info('job {feature} finished in {secs}, processed {int} items'),
  info('export written to {file} ({size})'),
  info('feature flag {qword} is enabled for plan {plan}'),
  info('price of {sku} updated to {money} {currency}'),
  info('coupon {sku} applied to cart {uuid}, discount {money}'),
  info('search index updated with {int} documents in {ms}'),
  info('mail {uuid} delivered to {email}'),
  info('webhook to {url} answered {int} in {ms}'),
  info('health check ok, {count} dependencies up'),
  info('config reloaded, {count} keys changed'),
  info('pod {pod} joined the cluster in {region}'),
  info('leader lease renewed by {pod}'),
  info('rate limiter allows {int} requests per second for plan {plan}'),
  info('customer {user} upgraded from {plan} to {plan}'),
  info('invoice {uuid} generated for {user}, total {money}'),
  info('fraud score for order {uuid} is {ratio}'),
  info('address of customer {user} validated in {region}'),
  info('gRPC call {service}/Get took {ms}'),
  info('trace {trace} span {hex} closed'),
  info('loaded {int} products into memory ({size})'),
  warn('slow query on {table}: {ms} for {int} rows'),
  warn('retrying request to {service} (attempt {count} of 5) after {ms}'),
  warn('payment {uuid} declined: insufficient funds'),
  warn('stock of {sku} below threshold: {int} left'),
  warn('cache for {table} is {ratio} full'),
  warn('connection pool exhausted, {count} requests waiting'),
  warn('request {trace} took {secs}, above the 2s budget'),
  warn('user {user} failed to log in from {ip}'),
  warn('deprecated endpoint {path} called by {user}'),
  warn('consumer lag on {queue} is {int} messages'),
  warn('webhook to {url} failed with status {int}, will retry'),
  warn('disk usage at {ratio} on {file}'),
  warn('clock skew of {ms} detected against {ip}'),
  warn('coupon {sku} expired at {ts}'),
  error('request to {service} timed out after {secs}'),
  error('failed to connect to {hostport}: connection refused'),
  error('query on {table} failed: deadlock detected'),
  error('payment {uuid} failed: gateway returned {int}'),
  error('could not send mail to {email}: mailbox unavailable'),
  error('handler panicked for {method} {path}: index out of range'),
  error('shipment {uuid} rejected by {carrier}: invalid address'),
  error('lost connection to {queue} broker at {ipport}'),
];

/** Errors a healthy service never logs: what a faulty canary brings. */
export const NOVEL_ERRORS: readonly Message[] = [
  error('NullPointerException in OrderService.total for order {uuid}'),
  error('failed to decode {table} row {int}: unexpected end of JSON input'),
  error('payment {uuid} failed: signature mismatch with key {hex}'),
  error('migration {int} not applied: column {table}.status missing'),
  error('cannot reserve {sku}: negative stock {int}'),
  error('TLS handshake with {hostport} failed: certificate signed by unknown authority'),
  error('out of memory while loading {int} products ({size})'),
  error('invalid state transition {state} -> {state} for order {uuid}'),
  error('circuit breaker open for {service} after {count} failures'),
  error('unhandled rejection: TypeError: cannot read properties of undefined (reading {qword})'),
];

export const LOGGERS = ['http', 'orders', 'payments', 'inventory', 'shipping', 'auth', 'db', 'cache', 'events', 'jobs', 'mailer', 'search'];

/** Zipf exponent of template frequencies: rank r gets a share ∝ r^−ZIPF. */
export const ZIPF = 1.1;

/** The component that owns a message, by its words; the first rule that matches. */
const HOMES: readonly (readonly [RegExp, string])[] = [
  [/^\{method\}|request|webhook|endpoint|handler|rate limiter/, 'http'],
  [/^mail|mail to/, 'mailer'],
  [/^order|fraud/, 'orders'],
  [/payment|refund|card|invoice|price|coupon/, 'payments'],
  [/stock|reserv|sku|products/, 'inventory'],
  [/shipment|label|carrier|address/, 'shipping'],
  [/user|session|password|customer/, 'auth'],
  [/query|rows|table|connection pool|connected to|connect to/, 'db'],
  [/^cache/, 'cache'],
  [/queue|consum|offset|message|broker|lag/, 'events'],
  [/job|export|disk/, 'jobs'],
  [/search/, 'search'],
];

/**
 * Loggers that may print each message, the same for every service (as places in the code are): its owner by
 * HOMES (or a random one) and one to three more, shared helpers that log from several components.
 */
export const MESSAGE_LOGGERS: readonly (readonly string[])[] = (() => {
  const random = createRandom(0x10c5);
  return MESSAGES.map((message) => {
    const loggers = new Set([HOMES.find(([words]) => words.test(message.text))?.[1] ?? random.pick(LOGGERS)]);
    for (let extra = random.integer(1, 3); extra > 0; extra--) loggers.add(random.pick(LOGGERS));
    return [...loggers];
  });
})();

/** A service: `templateCount` (logger, message) pairs, weights by Zipf over a random order, a format. */
export function generateService(seed: number, templateCount = 150): Service {
  const random = createRandom(seed);
  const pairs = MESSAGES.flatMap((message, index) => MESSAGE_LOGGERS[index]!.map((logger) => ({ logger, message, index })));
  if (templateCount < 1 || templateCount > pairs.length) throw new Error(`templateCount: expected 1 to ${pairs.length}; got ${templateCount}`);
  // A partial Fisher–Yates shuffle: the first templateCount pairs, in rank order.
  for (let i = 0; i < templateCount; i++) {
    const j = random.integer(i, pairs.length - 1);
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  const chosen = pairs.slice(0, templateCount);
  const raw = chosen.map((_, rank) => (rank + 1) ** -ZIPF);
  const total = raw.reduce((a, b) => a + b, 0);
  return {
    seed,
    format: random.chance(0.5) ? 'plain' : 'logfmt',
    templates: chosen.map(({ logger, message, index }, rank) => ({ id: `${logger}/${index}`, logger, message, weight: raw[rank]! / total })),
  };
}

/** A template of NOVEL_ERRORS printed by `logger`, with the given share of lines. */
export function novelTemplate(index: number, logger: string, weight: number): Template {
  const message = NOVEL_ERRORS[index];
  if (!message) throw new Error(`novel error ${index}: expected 0 to ${NOVEL_ERRORS.length - 1}`);
  return { id: `novel/${index}`, logger, message, weight };
}

const SLOT = /\{(\w+)\}/;
const START_MS = Date.UTC(2025, 5, 2, 8, 0, 0);

/** A message's text split at its slots: fixed text at even places, slots' value makers at odd ones. */
type Parts = (string | ((random: Random) => string))[];
const partsOf = new Map<string, Parts>();

function parts(text: string): Parts {
  let found = partsOf.get(text);
  if (found) return found;
  found = text.split(SLOT).map((part, i) => {
    if (i % 2 === 0) return part;
    const slot = SLOTS[part];
    if (!slot) throw new Error(`unknown slot {${part}} in ${JSON.stringify(text)}`);
    return slot;
  });
  partsOf.set(text, found);
  return found;
}

function fill(text: string, random: Random): string {
  let line = '';
  for (const part of parts(text)) line += typeof part === 'string' ? part : part(random);
  return line;
}

/** One line of `template` at `time` (RFC 3339), in the service's format. */
export function renderLine(format: LogFormat, template: Template, time: string, random: Random): string {
  const message = fill(template.message.text, random);
  if (format === 'plain') return `${time} ${template.message.level.toUpperCase().padEnd(5)} [${template.logger}] ${message}`;
  return `ts=${time} level=${template.message.level} logger=${template.logger} msg="${message.replaceAll('"', '\\"')}"`;
}

/** Draws a template index by weight: the alias method, O(1) per draw. */
export function weightedSampler(weights: readonly number[], random: Random): () => number {
  const n = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  const scaled = weights.map((w) => (w * n) / total);
  const alias = new Int32Array(n);
  const probability = new Float64Array(n);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
  while (small.length && large.length) {
    const s = small.pop()!;
    const l = large.pop()!;
    probability[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of [...small, ...large]) probability[i] = 1;
  return () => {
    const i = Math.floor(random.uniform() * n);
    return random.uniform() < probability[i]! ? i : alias[i]!;
  };
}

/**
 * `count` lines of the service's templates drawn by weight (a template's weight replaced where `weights` says), a
 * line every ~10 ms from a fixed start; one at a time, so that a million lines need no memory.
 */
export function* generateLines(service: Service, count: number, seed: number, templates: readonly Template[] = service.templates): Generator<LabelledLine> {
  const random = createRandom(seed);
  const draw = weightedSampler(templates.map((t) => t.weight), random);
  let timeMs = START_MS;
  // The date and time to the second change seldom: formatted once a second.
  let second = -1;
  let prefix = '';
  for (let i = 0; i < count; i++) {
    const template = templates[draw()]!;
    timeMs += random.integer(1, 20);
    if (Math.floor(timeMs / 1000) !== second) {
      second = Math.floor(timeMs / 1000);
      prefix = new Date(second * 1000).toISOString().slice(0, 19);
    }
    const time = `${prefix}.${String(timeMs % 1000).padStart(3, '0')}Z`;
    yield { line: renderLine(service.format, template, time, random), truth: template.id, level: template.message.level };
  }
}
