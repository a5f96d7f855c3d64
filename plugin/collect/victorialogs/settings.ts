// `source.victorialogs`: where VictoriaLogs' query API is (the single-node server, vlselect, or a proxy such as
// vmauth in front of them), the tenant to read, the fields a line's message and level are in, how long a query may
// take and how many lines one query may ask for.
import { z } from 'zod';
import { addressField, countField, credentialsField, timeoutField } from '../settings-fields.js';
import { fieldProblem } from './logsql.js';

/** Lines asked for in one query: a response of them, with only the fields read, stays well under the size read whole. */
export const MAX_LINES_PER_QUERY = 10_000;

const UINT32_MAX = 2 ** 32 - 1;

const fieldName = (fallback: string) =>
  z
    .string()
    .superRefine((name, ctx) => {
      const problem = fieldProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default(fallback);

export const victoriaLogsSettingsSchema = z.strictObject({
  address: addressField,
  /** `<AccountID>` or `<AccountID>:<ProjectID>`, sent as the AccountID and ProjectID headers; VictoriaLogs reads tenant 0:0 without. */
  tenant: z
    .string()
    .refine((text) => /^\d{1,10}(:\d{1,10})?$/.test(text) && text.split(':').every((id) => Number(id) <= UINT32_MAX), {
      error: (issue) => `expected a VictoriaLogs tenant as <AccountID> or <AccountID>:<ProjectID>, each a whole number up to ${UINT32_MAX}; got ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  timeout: timeoutField,
  /** The field holding a line's text (VictoriaLogs' own `_msg` unless the lines were ingested otherwise). */
  messageField: fieldName('_msg'),
  /** The field holding a line's level, when its collector stored one; otherwise the level is read from the message. */
  levelField: fieldName('level'),
  linesPerQuery: countField('lines', MAX_LINES_PER_QUERY, 'a response the engine reads whole').default(5000),
  credentials: credentialsField,
});

export type VictoriaLogsSettings = z.output<typeof victoriaLogsSettingsSchema>;

/** The AccountID and ProjectID headers of a tenant setting. */
export function tenantHeaders(tenant: string | undefined): Record<string, string> {
  if (tenant === undefined) return {};
  const [accountId, projectId = '0'] = tenant.split(':');
  return { AccountID: String(Number(accountId)), ProjectID: String(Number(projectId)) };
}
