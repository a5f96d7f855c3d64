// The New Relic User key, by reference: a credentials folder (../http/credentials.ts) holding `address`, the URL
// prefix the key may be sent to (e.g. https://api.newrelic.com/graphql), and `api_key`, sent as NerdGraph's
// API-Key header. Read afresh for every request, so a rotated Secret applies without a restart.
import { CredentialError, readCredentials } from '../http/credentials.js';

/** The User key of credentials folder `name`, if `endpoint` is within the address the folder allows. */
export async function apiKeyFor(credentialsDir: string | undefined, name: string, endpoint: string): Promise<string> {
  const credentials = await readCredentials(credentialsDir, name, endpoint);
  const auth = credentials.authentication;
  const other = auth && { apikey: undefined, datadog: 'app_key', bearer: 'token', basic: 'username and password', oauth2: 'oauth2_* files', sigv4: 'aws_* files' }[auth.kind];
  const unused = [...(other ? [other] : []), ...(credentials.ca ? ['ca.crt'] : []), ...(Object.keys(credentials.headers).length ? ['headers'] : [])];
  if (auth?.kind === 'apikey' && !unused.length) return auth.key;
  // A folder meant for another source is refused rather than half applied.
  const held = unused.length ? `hold ${unused.join(', ')}, which New Relic does not take` : 'hold no api_key';
  throw new CredentialError(`credentials "${name}" ${held}: expected address and api_key (a New Relic User key, NRAK-…) only`);
}
