// The keys of a Datadog source, by reference: a credentials folder (a Secret mounted under the engine's
// --credentials-dir, read and checked by ../http/credentials.ts) holding `address`, the URL prefix the keys may be
// sent to (e.g. https://api.datadoghq.eu), `api_key` (the organization's API key) and `app_key` (an application key
// whose user or service account may read metrics and logs). They go only to an address the folder allows, so
// whoever writes an AnalysisTemplate cannot send them elsewhere. Read afresh for every request, so a rotated Secret
// applies without a restart. Messages name the folder and its files, never their contents.
import { CredentialError, readCredentials, secretsOf } from '../http/credentials.js';

export interface DatadogKeys {
  apiKey: string;
  appKey: string;
  /** What a message must never show (credentials.ts's secretsOf). */
  secrets: string[];
}

/** The keys of folder `name` for a request to `address`; throws CredentialError. */
export async function readDatadogKeys(credentialsDir: string | undefined, name: string, address: string): Promise<DatadogKeys> {
  const credentials = await readCredentials(credentialsDir, name, address);
  const auth = credentials.authentication;
  if (auth?.kind === 'apikey') throw new CredentialError(`credentials "${name}" hold no app_key in ${credentials.folder} (a Datadog source needs an API key and an application key)`);
  const other = auth && { datadog: undefined, bearer: 'token', basic: 'username and password', oauth2: 'oauth2_* files', sigv4: 'aws_* files' }[auth.kind];
  const unused = [...(other ? [other] : []), ...(credentials.ca ? ['ca.crt'] : []), ...(Object.keys(credentials.headers).length ? ['headers'] : [])];
  if (auth?.kind === 'datadog' && !unused.length) return { apiKey: auth.apiKey, appKey: auth.appKey, secrets: secretsOf(credentials) };
  // A folder meant for another source is refused rather than half applied.
  const held = unused.length ? `hold ${unused.join(', ')}, which a Datadog source does not take` : 'hold no api_key and app_key';
  throw new CredentialError(`credentials "${name}" ${held}: expected address, api_key and app_key only`);
}
