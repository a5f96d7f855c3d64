// `source.datadog`: which Datadog site the queries go to (or another address, such as a proxy in front of its API),
// the credentials folder holding the keys, how long a query may take and the rollup interval of metrics.
import { z } from 'zod';
import { durationField } from '../../../shared/config/duration.js';
import { CREDENTIAL_NAME } from '../http/credentials.js';
import { addressField, timeoutField } from '../settings-fields.js';

/** Datadog's sites; each serves its API at https://api.<site> (https://docs.datadoghq.com/getting_started/site/). */
export const DATADOG_SITES = ['datadoghq.com', 'us3.datadoghq.com', 'us5.datadoghq.com', 'datadoghq.eu', 'ap1.datadoghq.com', 'ddog-gov.com'] as const;

export const DEFAULT_SITE = 'datadoghq.com';

/** Datadog keeps metric points at 1 s at best, and an agent sends most every 10–15 s: a shorter rollup is mostly empty. */
const MIN_STEP_MS = 10_000;

const credentialsError = (issue: { input?: unknown }) =>
  issue.input === undefined
    ? 'is required (expected the name of a credentials folder holding api_key and app_key)'
    : `expected the name of a credentials folder (a Kubernetes name); got ${JSON.stringify(issue.input)}`;

export const datadogSettingsSchema = z
  .strictObject({
    site: z.enum(DATADOG_SITES, { error: (issue) => `expected one of ${DATADOG_SITES.join(', ')} (the site of the Datadog organization); got ${JSON.stringify(issue.input)}` }).optional(),
    /**
     * Where the API is, instead of the site's: a proxy in front of it, or a test double. The keys go there only if the
     * credentials folder's `address` allows it, so a template cannot send them anywhere else.
     */
    address: addressField.optional(),
    /** Name of a credentials folder holding `address`, `api_key` and `app_key`; never the keys themselves. */
    credentials: z.string({ error: credentialsError }).regex(CREDENTIAL_NAME, { error: credentialsError }),
    timeout: timeoutField,
    /** The rollup interval of metric queries: each point is the aggregate of this much time. */
    step: durationField({ min: MIN_STEP_MS }).default(30_000),
  })
  .superRefine((settings, ctx) => {
    if (settings.site !== undefined && settings.address !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'expected site or address, not both (the address replaces the site\'s https://api.<site>)' });
    }
  });

export type DatadogSettings = z.output<typeof datadogSettingsSchema>;

/** Where the settings send queries: the address given, else the site's API. */
export function apiAddressOf(settings: DatadogSettings): string {
  return (settings.address ?? `https://api.${settings.site ?? DEFAULT_SITE}`).replace(/\/+$/, '');
}
