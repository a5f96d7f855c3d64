// Reading a search's answer. A 200 is the search response documented for both products: its hits become lines (time
// from the sort value, message, pod and level from _source, where a field `a.b` may be written nested or dotted),
// and a search that timed out or lost shards says so in warnings. Any other status is told in the cluster's own
// words (the first root cause's type and reason, clipped, on one line), and a body of any other shape only by its
// type and size: it may be anything (a proxy's login page, another service's data).
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import { msToNs } from '../log-pages.js';
import { oneLine } from '../log-http.js';
import type { LogLine } from '../source.js';
import type { SearchSettings } from './settings.js';

/** The cluster's reasons (a parse error with its position) fit; longer text is cut. */
const MAX_REASON_CHARS = 300;

const hitSchema = z.object({
  _index: z.string(),
  _id: z.string().optional(),
  _source: z.record(z.string(), z.unknown()).optional(),
  sort: z.array(z.unknown()).optional(),
});

const failureSchema = z.object({ reason: z.object({ type: z.string().optional(), reason: z.string().nullish() }).optional() });

const searchSchema = z.object({
  timed_out: z.boolean(),
  _shards: z.object({ total: z.number(), failed: z.number(), failures: z.array(failureSchema).optional() }),
  hits: z.object({
    total: z.object({ value: z.number().int().nonnegative(), relation: z.enum(['eq', 'gte']) }).optional(),
    hits: z.array(hitSchema),
  }),
});

const causeSchema = z.object({ type: z.string(), reason: z.string().nullish() });
const errorSchema = z.object({
  error: z.union([z.string(), causeSchema.extend({ root_cause: z.array(causeSchema).optional() })]),
});

/** A line with its time in nanoseconds, for paging (log-pages.ts). */
export interface Entry {
  ns: bigint;
  line: LogLine;
}

export interface Page {
  entries: Entry[];
  /** Lines matching in all, when the search counted them exactly. */
  total?: number;
  warnings: string[];
}

type LineFields = Pick<SearchSettings, 'timeField' | 'messageField' | 'levelField'> & { instanceField: string };

/**
 * The value at `path` in a _source, written nested ({"a": {"b": 1}}), dotted ({"a.b": 1}) or mixed, or in an array
 * of objects. `depth` bounds the descent: a hostile _source nested a million arrays deep ends it, not the stack.
 */
export function valueAt(source: unknown, path: string, depth = 2 * path.split('.').length + 2): unknown {
  if (depth <= 0) return undefined;
  if (Array.isArray(source)) {
    for (const item of source) {
      const found = valueAt(item, path, depth - 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (source === null || typeof source !== 'object') return undefined;
  const object = source as Record<string, unknown>;
  if (Object.hasOwn(object, path)) return object[path];
  for (let dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    if (!Object.hasOwn(object, head)) continue;
    const found = valueAt(object[head], path.slice(dot + 1), depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A field's value as text: a string, a number or boolean written out, the values of an array one per line. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    // One level: the values of a multi-valued field, not arrays within it.
    const texts = value.filter((item) => ['string', 'number', 'boolean'].includes(typeof item)).map(String);
    return texts.length ? texts.join('\n') : undefined;
  }
  return undefined;
}

/** Throws when the answer is no search response or a hit cannot be read as a line; otherwise the page. */
export function readPage(body: unknown, contentType: string | undefined, fields: LineFields, fail: (cause: string) => Error): Page {
  const parsed = searchSchema.safeParse(body);
  if (!parsed.success) throw fail(`HTTP 200, not a search response (${shapeOf(body, contentType)})`);
  const { timed_out: timedOut, _shards: shards, hits } = parsed.data;
  const warnings: string[] = [];
  if (timedOut) warnings.push('the search timed out on some shards: lines may be missing');
  if (shards.failed > 0) {
    const reason = shards.failures?.map((failure) => failure.reason).find((cause) => cause?.reason);
    const said = reason ? `: ${clip(oneLine(`${reason.type ?? 'failure'}: ${reason.reason}`), MAX_REASON_CHARS)}` : '';
    warnings.push(`${shards.failed} of ${shards.total} shards failed, lines may be missing${said}`);
  }
  const entries = hits.hits.map((hit) => entryOf(hit, fields, fail));
  const total = hits.total?.relation === 'eq' ? hits.total.value : undefined;
  return { entries, ...(total !== undefined && { total }), warnings };
}

function entryOf(hit: z.output<typeof hitSchema>, fields: LineFields, fail: (cause: string) => Error): Entry {
  const which = `the line ${JSON.stringify(clip(hit._id ?? '', 60))} of index ${JSON.stringify(clip(hit._index, 100))}`;
  const ms = hit.sort?.[0];
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms)) throw fail(`${which} has no time in milliseconds to sort by: is ${fields.timeField} a date field?`);
  const message = textOf(valueAt(hit._source, fields.messageField));
  if (message === undefined) throw fail(`${which} has no text in ${fields.messageField}: set messageField to the field holding the log message`);
  const instance = textOf(valueAt(hit._source, fields.instanceField));
  if (instance === undefined) throw fail(`${which} has no ${fields.instanceField}: set logs.instanceField to the field naming the pod`);
  const level = fields.levelField === undefined ? undefined : textOf(valueAt(hit._source, fields.levelField));
  return { ns: msToNs(ms), line: { time: ms, instance, message, ...(level && { level }) } };
}

/** "JSON of another shape, 1234 bytes", "text/html, 5678 bytes": what a body is, never what it says. */
function shapeOf(body: unknown, contentType?: string): string {
  const bytes = Buffer.byteLength(typeof body === 'string' ? body : (JSON.stringify(body) ?? ''));
  if (typeof body === 'string') return `${contentType ? contentType.split(';')[0]!.trim() : 'no content type'}, ${bytes} bytes`;
  return `JSON of another shape, ${bytes} bytes`;
}

/** The cluster's own reason for a refused search, `type: reason` on one line and clipped; null when the body is not its error. */
export function clusterReason(body: unknown, scrub: (text: string) => string): string | null {
  const parsed = errorSchema.safeParse(body);
  if (!parsed.success) return null;
  const { error } = parsed.data;
  const cause = typeof error === 'string' ? null : (error.root_cause?.[0] ?? error);
  const text = cause === null ? (error as string) : cause.reason ? `${cause.type}: ${cause.reason}` : cause.type;
  return clip(oneLine(scrub(text)), MAX_REASON_CHARS);
}

/** What answered, when it is not the cluster's error: the type and size of its body, or its one line of plain text (OpenSearch's "Unauthorized"). */
export function otherReason(body: unknown, contentType: string | undefined, scrub: (text: string) => string): string {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/plain' && typeof body === 'string' && body.trim() !== '') return clip(oneLine(scrub(body)), MAX_REASON_CHARS);
  return `not an Elasticsearch or OpenSearch answer (${shapeOf(body, contentType)})`;
}
