// `source.elasticsearch` and `source.opensearch`: where the cluster is, which indices hold the logs, which fields of
// a line hold its time, message and level, how long a search may take, how many lines one search may ask for, and
// the credentials folder it is read with.
import { z } from 'zod';
import { addressField, countField, credentialsField, timeoutField } from '../settings-fields.js';
import { fieldProblem } from './dialect.js';
import { indexPatternProblem } from './index-pattern.js';

/** `index.max_result_window`'s default: a search asking for more hits is refused. */
export const MAX_RESULT_WINDOW = 10_000;

const fieldName = z.string().superRefine((name, ctx) => {
  const problem = fieldProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const searchSettingsSchema = z.strictObject({
  address: addressField,
  /** Indices, aliases or data streams, with wildcards: `logs-*`, `logs-*,-logs-debug`. */
  index: z.string({ error: (issue) => (issue.input === undefined ? 'is required (expected an index pattern such as "logs-*")' : 'expected an index pattern such as "logs-*"') }).superRefine((text, ctx) => {
    const problem = indexPatternProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** A date (or date_nanos) field: the lines' time. */
  timeField: fieldName.default('@timestamp'),
  messageField: fieldName.default('message'),
  /** A field holding the line's level (`log.level` in ECS), when the logs have one. */
  levelField: fieldName.optional(),
  timeout: timeoutField,
  /** Lines asked for in one search: fewer when lines are long (a response is read whole, up to 16 MiB). */
  pageSize: countField('lines', MAX_RESULT_WINDOW, "index.max_result_window's default: a search for more hits is refused").default(1000),
  credentials: credentialsField,
});

export type SearchSettings = z.output<typeof searchSettingsSchema>;
