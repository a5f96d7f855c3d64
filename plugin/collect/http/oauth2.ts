// OAuth2 client credentials (RFC 6749 §4.4) for a backend behind an OAuth2 gateway: the engine trades the
// folder's client id and secret for an access token at the folder's token URL, sends it as a bearer token, and
// keeps it per folder until shortly before it expires. Concurrent requests share one token request; a token the
// backend refuses is forgotten so the next request fetches a new one. Messages name the token URL (masked) and
// the server's OAuth2 error, never the secret.
import { createHash } from 'node:crypto';
import type { Agent as HttpsAgent } from 'node:https';
import { z } from 'zod';
import { clip, withoutSecrets } from '../../../shared/text.js';
import { redactAddress } from './address.js';
import { failsAgain, postForm, transportCause } from './client.js';
import { basicAuthorization, type Authentication, CredentialError } from './credentials.js';

export type OAuth2Client = Omit<Extract<Authentication, { kind: 'oauth2' }>, 'kind'>;

/** Lifetime assumed for a token whose response has no expires_in (RFC 6749 §5.1 makes it optional). */
const DEFAULT_LIFETIME_S = 300;
/** A token is renewed this long before it expires (half its lifetime if that is shorter), so none expires in flight. */
const RENEW_MARGIN_S = 60;
const MAX_MESSAGE_CHARS = 300;

// RFC 6749 §5.1; expires_in as a number, or the string some servers send.
const tokenResponse = z.object({
  access_token: z.string().regex(/^[\x21-\x7e]+$/),
  token_type: z.string(),
  expires_in: z.union([z.number().positive(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
});
// RFC 6749 §5.2.
const errorResponse = z.object({ error: z.string(), error_description: z.string().optional() });

interface Token {
  value: string;
  /** Epoch ms after which it is renewed. */
  renewAt: number;
}

interface Entry {
  /** Of the client id, secret, token URL and scopes: a rotated secret is a new client. */
  fingerprint: string;
  token?: Token;
  pending?: Promise<Token>;
}

const tokens = new Map<string, Entry>();

export interface TokenRequestOptions {
  /** Who asks, for messages: `credentials "<name>"`. */
  name: string;
  timeoutMs: number;
  /** For an https token URL trusted through the folder's ca.crt. */
  agent?: HttpsAgent;
}

function fingerprintOf(client: OAuth2Client): string {
  return createHash('sha256').update(JSON.stringify([client.clientId, client.clientSecret, client.tokenUrl, client.scopes])).digest('hex');
}

/** An access token for `client`, cached under `key` (its credentials folder); throws CredentialError. */
export async function clientCredentialsToken(key: string, client: OAuth2Client, options: TokenRequestOptions): Promise<string> {
  const fingerprint = fingerprintOf(client);
  let entry = tokens.get(key);
  if (entry?.fingerprint !== fingerprint) entry = undefined;
  if (entry?.token && Date.now() < entry.token.renewAt) return entry.token.value;
  if (!entry?.pending) {
    const fresh: Entry = { fingerprint, pending: requestToken(client, options) };
    tokens.set(key, fresh);
    fresh.pending!.then(
      (token) => {
        fresh.token = token;
        delete fresh.pending;
      },
      () => {
        if (tokens.get(key) === fresh) tokens.delete(key);
      },
    );
    entry = fresh;
  }
  return (await entry.pending!).value;
}

/** Forgets `refused`, the token a backend answered 401 to, unless a newer one has replaced it already. */
export function forgetToken(key: string, refused: string): void {
  if (tokens.get(key)?.token?.value === refused) tokens.delete(key);
}

/** Form encoding of the client id and secret before basic authentication (RFC 6749 §2.3.1). */
const formEncoded = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);

async function requestToken(client: OAuth2Client, { name, timeoutMs, agent }: TokenRequestOptions): Promise<Token> {
  const where = `credentials "${name}": OAuth2 token request to ${redactAddress(client.tokenUrl)}`;
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (client.scopes.length) form.set('scope', client.scopes.join(' '));
  const headers = { authorization: basicAuthorization(formEncoded(client.clientId), formEncoded(client.clientSecret)) };
  let response;
  try {
    response = await postForm(client.tokenUrl, form, { headers, timeoutMs, ...(agent && { agent }) });
  } catch (error) {
    throw new CredentialError(`${where} failed: ${transportCause(error, timeoutMs)}`, !failsAgain(error));
  }
  const { status, text, contentType } = response;
  const body = parseJson(text);
  const transient = status === 429 || status >= 500;
  const token = tokenResponse.safeParse(body);
  if (status === 200 && token.success) {
    const { access_token: value, token_type: type, expires_in: lifetime = DEFAULT_LIFETIME_S } = token.data;
    if (type.toLowerCase() !== 'bearer') throw new CredentialError(`${where} returned a token of type ${JSON.stringify(clip(type, 40))}; only Bearer tokens can be sent`);
    return { value, renewAt: Date.now() + Math.max(lifetime / 2, lifetime - RENEW_MARGIN_S) * 1000 };
  }
  const error = errorResponse.safeParse(body);
  if (error.success) {
    const { error: code, error_description: description } = error.data;
    const said = withoutSecrets(`${code}${description ? `: ${description}` : ''}`, [client.clientSecret]);
    throw new CredentialError(`${where} was refused: HTTP ${status} ${clip(said, MAX_MESSAGE_CHARS)}`, transient);
  }
  const type = contentType ? contentType.split(';')[0]!.trim() : 'no content type';
  throw new CredentialError(`${where}: HTTP ${status}, not an OAuth2 token response (${type}, ${Buffer.byteLength(text)} bytes)`, transient);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
