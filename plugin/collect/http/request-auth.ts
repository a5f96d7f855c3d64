// What a request to a backend carries besides its query: the config's extra headers, and what the named
// credentials folder adds — its pinned headers (which win), its authentication (a bearer token, an API key, Datadog's
// pair of keys, basic, an OAuth2 client-credentials token, or an AWS SigV4 signature of the request) and its CA. The
// folder is read afresh for each call (rotation needs no restart); only derived objects are kept, keyed by what they
// derive from: the TLS agent (tls.ts) and the OAuth2 token (oauth2.ts).
import type { Agent as HttpsAgent } from 'node:https';
import { withoutSecrets } from '../../../shared/text.js';
import { FORM_CONTENT_TYPE } from './client.js';
import { basicAuthorization, readCredentials, secretsOf } from './credentials.js';
import { withPinnedHeaders } from './headers.js';
import { clientCredentialsToken, forgetToken } from './oauth2.js';
import { sigV4Headers } from './sigv4.js';
import { agentTrusting } from './tls.js';

export interface PreparedRequest {
  headers: Record<string, string>;
  /** Present with OAuth2: forgets the token sent, after the backend answered 401, so that the next request gets a new one. */
  renew?: () => void;
}

export interface RequestAuth {
  /** The credentials folder's name, if any: messages say `credentials "<name>"`. */
  credentials?: string;
  /** For an https address: the agent trusting the folder's ca.crt, when it has one. */
  agent?: HttpsAgent;
  /**
   * The headers of one POST of `body` to `url`, a form unless `contentType` says otherwise (signed with it, for
   * SigV4); throws CredentialError (no OAuth2 token to be had).
   */
  prepare(url: URL, body: string, contentType?: string): Promise<PreparedRequest>;
  /** `text` without the folder's secrets, for quoting what a backend answered. */
  scrub(text: string): string;
}

export interface RequestAuthOptions {
  /** The engine's --credentials-dir. */
  credentialsDir?: string | undefined;
  /** The credentials folder the config names, if any. */
  credentials?: string | undefined;
  /** The backend's address, which the folder's `address` must cover. */
  address: string;
  /** The config's extra headers. */
  headers?: Record<string, string> | undefined;
  /** For an OAuth2 token request. */
  timeoutMs: number;
}

/** How to authenticate requests to `address`, from the folder as it is now; throws CredentialError. */
export async function requestAuth({ credentialsDir, credentials: name, address, headers: configured, timeoutMs }: RequestAuthOptions): Promise<RequestAuth> {
  if (name === undefined) return { prepare: async () => ({ headers: { ...configured } }), scrub: (text) => text };
  const credentials = await readCredentials(credentialsDir, name, address);
  const headers = withPinnedHeaders(configured, credentials.headers);
  const agent = credentials.ca === undefined ? undefined : agentTrusting(credentials.folder, credentials.ca);
  const secrets = secretsOf(credentials);
  const auth = credentials.authentication;

  async function prepare(url: URL, body: string, contentType = FORM_CONTENT_TYPE): Promise<PreparedRequest> {
    if (!auth) return { headers };
    switch (auth.kind) {
      case 'bearer':
        return { headers: { ...headers, authorization: `Bearer ${auth.token}` } };
      case 'apikey':
        return { headers: { ...headers, authorization: `ApiKey ${auth.key}` } };
      case 'basic':
        return { headers: { ...headers, authorization: basicAuthorization(auth.username, auth.password) } };
      case 'datadog':
        return { headers: { ...headers, 'dd-api-key': auth.apiKey, 'dd-application-key': auth.appKey } };
      case 'oauth2': {
        const token = await clientCredentialsToken(credentials.folder, auth, { name: credentials.name, timeoutMs, ...(agent && { agent }) });
        if (!secrets.includes(token)) secrets.push(token);
        return { headers: { ...headers, authorization: `Bearer ${token}` }, renew: () => forgetToken(credentials.folder, token) };
      }
      case 'sigv4':
        return { headers: { ...headers, ...(await sigV4Headers({ url, body, contentType }, auth)) } };
    }
  }

  return { credentials: name, ...(agent && { agent }), prepare, scrub: (text) => withoutSecrets(text, secrets) };
}
