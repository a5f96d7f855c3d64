// `source.loki`: where Loki's query API is (Loki itself, its query frontend or a gateway in front of it), the tenant
// to read, how long a query may take and how many lines one query may ask for.
import { z } from 'zod';
import { addressField, countField, credentialsField, timeoutField } from '../settings-fields.js';

/** Loki's default `max_entries_limit_per_query`: a query asking for more lines is refused. */
export const LOKI_MAX_ENTRIES = 5000;

// One tenant ID as Loki (and Mimir, Tempo) accept them: up to 150 of these characters, neither "." nor "..".
const TENANT_ID = /^(?!\.\.?$)[A-Za-z0-9!\-_.*'()]{1,150}$/;

export const lokiSettingsSchema = z.strictObject({
  address: addressField,
  /** Sent as X-Scope-OrgID; several tenants as `a|b` where Loki allows queries across tenants. */
  tenant: z
    .string()
    .refine((text) => text.split('|').every((id) => TENANT_ID.test(id)), {
      error: (issue) => `expected a Loki tenant ID (up to 150 letters, digits and !-_.*'(), not "." or ".."), or several separated by |; got ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  timeout: timeoutField,
  /** Lines asked for in one query: Loki's `max_entries_limit_per_query`, when it was lowered. */
  maxEntriesPerQuery: countField('lines', LOKI_MAX_ENTRIES, "Loki's default max_entries_limit_per_query, and a response the engine reads whole").default(LOKI_MAX_ENTRIES),
  credentials: credentialsField,
});

export type LokiSettings = z.output<typeof lokiSettingsSchema>;
