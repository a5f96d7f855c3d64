// Datadog's health check: `GET /api/v1/validate` through the source's own call (api.ts: the credentials folder's
// keys, sent only where its `address` allows, the timeout, the retries and the wording of refusals). It validates
// the API key only: the application key, and its permission to read metrics or logs, are checked by the first query.
import { z } from 'zod';
import type { HealthOptions } from '../backend.js';
import { CollectError } from '../source.js';
import { callDatadog, type Fail } from './api.js';
import { describeDatadog, endpointOf } from './client.js';
import { DEFAULT_SITE, type DatadogSettings } from './settings.js';

const validation = z.object({ valid: z.literal(true) });

export async function datadogHealth(settings: DatadogSettings, options: HealthOptions): Promise<string> {
  const description = describeDatadog(settings);
  const fail: Fail = (cause, transient = false) => new CollectError('health', description, cause, transient);
  const answer = await callDatadog(endpointOf(settings, options), 'metrics', (library, configuration) => new library.v1.AuthenticationApi(configuration).validate(), options, fail);
  if (!validation.safeParse(answer).success) throw fail('answered /api/v1/validate without {"valid": true}: not a Datadog API response');
  const where = settings.address ?? settings.site ?? DEFAULT_SITE;
  return `Datadog API key valid (${where}); the application key is checked by the first query`;
}
