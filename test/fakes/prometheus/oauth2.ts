// A fake OAuth2 authorization server's token endpoint for the client-credentials grant, as RFC 6749 specifies it
// (https://www.rfc-editor.org/rfc/rfc6749): §4.4.2 the request (POST, application/x-www-form-urlencoded,
// grant_type=client_credentials, optional scope), §2.3.1 client authentication with HTTP Basic over the
// form-encoded client id and secret (the one method servers must support; the only one this fake takes, so a
// client that puts the secret elsewhere fails), §5.1 the answer (access_token, token_type Bearer, expires_in,
// Cache-Control: no-store) and §5.2 errors (invalid_request, invalid_client with 401 and WWW-Authenticate,
// unsupported_grant_type, invalid_scope). Tokens expire and can be revoked, for a gateway (server.ts) to check.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { serveFake } from './serve.js';

export interface FakeTokenServerOptions {
  /** Client ids and their secrets. */
  clients: Record<string, string>;
  /** Scopes a client may ask for; any when absent. */
  scopes?: string[];
  /** expires_in of the tokens, in seconds; none in the answer when null. */
  lifetimeS?: number | null;
  /** Serve https with this key and certificate. */
  tls?: { key: string; cert: string };
  /** A careless server quoting the secret it was sent in its error_description (for the tests that no message repeats it). */
  echoSecretInErrors?: boolean;
}

export interface TokenRequest {
  authorization?: string;
  form: URLSearchParams;
  status: number;
}

const formDecode = (text: string) => new URLSearchParams(`v=${text}`).get('v') ?? '';

export class FakeTokenServer {
  readonly requests: TokenRequest[] = [];
  private readonly issued = new Map<string, { expiresAt: number; scopes: string[] }>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: FakeTokenServerOptions,
  ) {}

  static async start(options: FakeTokenServerOptions): Promise<FakeTokenServer> {
    let fake: FakeTokenServer | undefined;
    const { server, origin } = await serveFake(options.tls, (request, body, response) => fake!.handle(request, body, response));
    fake = new FakeTokenServer(server, `${origin}/oauth2/token`, options);
    return fake;
  }

  /** Whether `token` was issued here and is neither expired nor revoked. */
  valid(token: string): boolean {
    const issued = this.issued.get(token);
    return issued !== undefined && Date.now() < issued.expiresAt;
  }

  revoke(token: string): void {
    this.issued.delete(token);
  }

  /** The tokens issued and still valid. */
  tokens(): string[] {
    return [...this.issued.keys()].filter((token) => this.valid(token));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const form = new URLSearchParams(body);
    const answer = (status: number, json: object, headers: Record<string, string> = {}) => {
      this.requests.push({ ...(request.headers.authorization && { authorization: request.headers.authorization }), form, status });
      response.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store', pragma: 'no-cache', ...headers }).end(JSON.stringify(json));
    };
    const error = (status: number, code: string, description: string, headers?: Record<string, string>) => answer(status, { error: code, error_description: description }, headers);
    if (request.method !== 'POST' || new URL(request.url!, 'http://x').pathname !== '/oauth2/token') return error(404, 'invalid_request', 'not found');
    if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return error(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    if (form.has('client_secret')) return error(400, 'invalid_request', 'client_secret in the body is not accepted; use HTTP Basic');
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
    const [rawId = '', rawSecret = ''] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(/:(.*)/s) : [];
    const [clientId, secret] = [formDecode(rawId), formDecode(rawSecret)];
    if (!basic || this.options.clients[clientId] === undefined || this.options.clients[clientId] !== secret) {
      const said = this.options.echoSecretInErrors ? `client ${clientId} authentication failed with secret ${secret}` : 'client authentication failed';
      return error(401, 'invalid_client', said, { 'www-authenticate': 'Basic realm="token"' });
    }
    const grant = form.get('grant_type');
    if (!grant) return error(400, 'invalid_request', 'grant_type is required');
    if (grant !== 'client_credentials') return error(400, 'unsupported_grant_type', `grant type ${grant} is not supported`);
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const refused = scopes.filter((scope) => this.options.scopes && !this.options.scopes.includes(scope));
    if (refused.length) return error(400, 'invalid_scope', `scope ${refused.join(' ')} is not allowed`);
    const token = randomBytes(24).toString('base64url');
    const lifetime = this.options.lifetimeS === undefined ? 3600 : this.options.lifetimeS;
    this.issued.set(token, { expiresAt: Date.now() + (lifetime ?? 3600) * 1000, scopes });
    answer(200, { access_token: token, token_type: 'Bearer', ...(lifetime !== null && { expires_in: lifetime }), ...(scopes.length && { scope: scopes.join(' ') }) });
  }
}
