// Settings every HTTP backend has, under `source.<kind>`: its address, how long a query may take, and the
// credentials folder it is read with.
import { z } from 'zod';
import { durationField } from '../../shared/config/duration.js';
import { addressProblem } from './http/address.js';
import { CREDENTIAL_NAME } from './http/credentials.js';

/** Longest `timeout` a query may be given: a look waits for its slowest query. */
const MAX_QUERY_TIMEOUT_MS = 60_000;

/** An http(s) URL without secrets (address.ts). */
export const addressField = z.string().superRefine((text, ctx) => {
  const problem = addressProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** How long one query may take; parses to milliseconds. */
export const timeoutField = durationField({ min: 1, max: MAX_QUERY_TIMEOUT_MS }).default(10_000);

/** Name of a credentials folder the engine was given (see credentials.ts); never the secret itself. */
export const credentialsField = z
  .string()
  .regex(CREDENTIAL_NAME, { error: (issue) => `expected the name of a credentials folder (a Kubernetes name); got ${JSON.stringify(issue.input)}` })
  .optional();

/** A whole number from 1 to `max`, with `why` the maximum is what it is. */
export function countField(what: string, max: number, why: string) {
  const expected = `expected a whole number of ${what} from 1 to ${max}`;
  return z
    .number({ error: expected })
    .int({ error: expected })
    .min(1, { error: expected })
    .max(max, { error: `expected at most ${max} ${what} (${why})` });
}
