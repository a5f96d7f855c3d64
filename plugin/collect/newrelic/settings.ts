// `source.newrelic`: which New Relic account the NRQL runs in, in which region, with which User key (by credentials
// folder), how long a query may take and the resolution asked for.
import { z } from 'zod';
import { durationField } from '../../../shared/config/duration.js';
import { addressProblem } from '../http/address.js';
import { CREDENTIAL_NAME } from '../http/credentials.js';

/** NerdGraph's endpoint per region (https://docs.newrelic.com/docs/apis/nerdgraph/get-started/introduction-new-relic-nerdgraph/). */
export const NERDGRAPH_ENDPOINTS = {
  us: 'https://api.newrelic.com/graphql',
  eu: 'https://api.eu.newrelic.com/graphql',
} as const;

export const REGIONS = Object.keys(NERDGRAPH_ENDPOINTS) as (keyof typeof NERDGRAPH_ENDPOINTS)[];

/** NerdGraph takes an NRQL `timeout` of 5 to 120 seconds. */
const MIN_TIMEOUT_MS = 5_000;
const MAX_TIMEOUT_MS = 120_000;
/** GraphQL's Int, which account ids are. */
const MAX_INT = 2 ** 31 - 1;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const newRelicSettingsSchema = z.strictObject({
  accountId: z
    .number({ error: (issue) => `expected the New Relic account id, a positive integer; got ${JSON.stringify(issue.input)}` })
    .int({ error: (issue) => `expected the New Relic account id, a positive integer; got ${JSON.stringify(issue.input)}` })
    .min(1, { error: (issue) => `expected the New Relic account id, a positive integer; got ${JSON.stringify(issue.input)}` })
    .max(MAX_INT, { error: (issue) => `expected a New Relic account id (at most ${MAX_INT}); got ${JSON.stringify(issue.input)}` }),
  region: z.enum(REGIONS, { error: (issue) => `expected one of ${REGIONS.join(', ')} (the region of the account's data); got ${JSON.stringify(issue.input)}` }).default('us'),
  /** Name of a credentials folder holding `address` and `api_key` (a User key); never the key itself. */
  credentials: z.string({ error: (issue) => (issue.input === undefined ? 'is required (expected the name of a credentials folder holding a New Relic User key in api_key)' : `expected the name of a credentials folder; got ${JSON.stringify(issue.input)}`) }).regex(CREDENTIAL_NAME, {
    error: (issue) => `expected the name of a credentials folder (a Kubernetes name); got ${JSON.stringify(issue.input)}`,
  }),
  /** How long a query may take: NRQL's own `timeout` too. */
  timeout: durationField({ min: MIN_TIMEOUT_MS, max: MAX_TIMEOUT_MS }).default(10_000),
  step: durationField({ min: 1000 }).default(30_000),
  /**
   * A NerdGraph endpoint on this machine instead of the region's (a test double): only loopback, and the key is sent
   * there only if the credentials folder's `address` allows it.
   */
  address: z
    .string()
    .superRefine((text, ctx) => {
      const problem = addressProblem(text) ?? (LOOPBACK_HOSTS.has(new URL(text).hostname) ? null : `expected a loopback address such as "http://127.0.0.1:8080/graphql" (a test double; the region sets New Relic's own); got ${JSON.stringify(text)}`);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

export type NewRelicSettings = z.output<typeof newRelicSettingsSchema>;

/** Where the settings send NRQL. */
export function endpointOf(settings: NewRelicSettings): string {
  return settings.address ?? NERDGRAPH_ENDPOINTS[settings.region];
}
