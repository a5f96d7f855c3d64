// Datadog log events (POST /api/v2/logs/events/search, https://docs.datadoghq.com/api/latest/logs/#search-logs) as
// the engine's lines: the message, the time, the pod from the instance field — a tag (`pod_name`, as the Datadog
// Agent tags a container's logs), a reserved attribute (`host`, `service`) or an attribute path
// (`@kubernetes.pod_name`) — and the status Datadog recorded as the level. Events are read one at a time, so that
// one malformed event is left out and counted rather than failing the lines of a whole group.
import { z } from 'zod';
import type { LogLine } from '../source.js';

// What the library made of one event (its model's names).
const eventSchema = z.object({
  attributes: z.object({
    timestamp: z.date().refine((date) => Number.isFinite(date.getTime())),
    message: z.string().optional(),
    status: z.string().optional(),
    host: z.string().optional(),
    service: z.string().optional(),
    tags: z.array(z.string()).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});

type Event = z.output<typeof eventSchema>['attributes'];

const RESERVED = new Set(['host', 'service']);

/** The value at a dotted path of the event's attributes, nested (`{kubernetes: {pod_name}}`) or flat (`{"kubernetes.pod_name"}`). */
function attributeAt(attributes: Record<string, unknown> | undefined, path: string): unknown {
  if (!attributes) return undefined;
  if (path in attributes) return attributes[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  const head = attributes[path.slice(0, dot)];
  return typeof head === 'object' && head !== null && !Array.isArray(head) ? attributeAt(head as Record<string, unknown>, path.slice(dot + 1)) : undefined;
}

/** The value of field `name` on an event: an attribute (`@path`), a reserved attribute, or a tag `name:value`. */
export function fieldValue(event: Event, name: string): string | undefined {
  if (name.startsWith('@')) {
    const value = attributeAt(event.attributes, name.slice(1));
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  }
  if (RESERVED.has(name)) return event[name as 'host' | 'service'];
  const tag = event.tags?.find((t) => t.startsWith(`${name}:`));
  return tag === undefined ? undefined : tag.slice(name.length + 1);
}

/** Why an event is not a line. */
export type Skipped = 'malformed' | 'no-message' | 'no-instance';

/** An event as a line, or why it is not one. */
export function toLogLine(event: unknown, instanceField: string): LogLine | Skipped {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return 'malformed';
  const attributes = parsed.data.attributes;
  if (attributes.message === undefined || attributes.message === '') return 'no-message';
  const instance = fieldValue(attributes, instanceField);
  if (instance === undefined || instance === '') return 'no-instance';
  return { time: attributes.timestamp.getTime(), instance, message: attributes.message, ...(attributes.status && { level: attributes.status }) };
}
