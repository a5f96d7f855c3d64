// `source.prometheus`: where a Prometheus-compatible API is (Prometheus, Thanos, Mimir, Cortex, VictoriaMetrics,
// Amazon Managed Service for Prometheus), how long a query may take, the resolution asked for, the scrape interval
// the queries' ranges are sized by, extra headers (a tenant) and the credentials folder that authenticates.
import { z } from 'zod';
import { durationField } from '../../../shared/config/duration.js';
import { addressProblem } from '../http/address.js';
import { CREDENTIAL_NAME } from '../http/credentials.js';
import { extraHeadersSchema } from '../http/headers.js';

/** Longest `timeout` a query may be given: a look waits for its slowest query. */
const MAX_QUERY_TIMEOUT_MS = 60_000;

export const prometheusSettingsSchema = z.strictObject({
  address: z.string().superRefine((text, ctx) => {
    const problem = addressProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  timeout: durationField({ min: 1, max: MAX_QUERY_TIMEOUT_MS }).default(10_000),
  step: durationField({ min: 1000 }).default(15_000),
  /** How often Prometheus scrapes the pods: sizes ${rateInterval} and the least range a query may use. */
  scrapeInterval: durationField({ min: 1000 }).default(30_000),
  /**
   * Non-secret headers sent with every query, e.g. Mimir's tenant {"X-Scope-OrgID": "team-a"}; a header the
   * credentials folder pins replaces the one of the same name here.
   */
  headers: extraHeadersSchema.optional(),
  /** Name of a credentials folder the engine was given (see credentials.ts); never the secret itself. */
  credentials: z
    .string()
    .regex(CREDENTIAL_NAME, { error: (issue) => `expected the name of a credentials folder (a Kubernetes name); got ${JSON.stringify(issue.input)}` })
    .optional(),
});

export type PrometheusSettings = z.output<typeof prometheusSettingsSchema>;

