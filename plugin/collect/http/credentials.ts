// Backend credentials by reference. The engine's operator mounts each Kubernetes Secret as a folder under the
// credentials directory; a verification config names the folder, never the secret itself. A credential is sent
// only to the address it was issued for, so whoever writes an AnalysisTemplate cannot send it elsewhere.
//
// The files of a folder (a Secret's keys):
// - `address` (required): the URL prefix the folder's credential, headers and CA apply to (isWithin);
// - at most one kind of authentication:
//   - `token`: sent as `Authorization: Bearer <token>`;
//   - `api_key`: an API key, sent as its backend takes one (Elasticsearch and OpenSearch 3.7+:
//     `Authorization: ApiKey <api_key>`, request-auth.ts; New Relic: its API-Key header);
//   - `api_key` and `app_key`: Datadog's pair of an organization's API key and an application key;
//   - `username` and `password`: HTTP basic authentication;
//   - `oauth2_client_id`, `oauth2_client_secret` and `oauth2_token_url` (optional `oauth2_scopes`, separated by
//     spaces): an OAuth2 client-credentials grant (oauth2.ts). The token URL comes from here, never from a config,
//     so a template cannot send the client secret anywhere; it must be https unless it is a loopback address;
//   - `aws_access_key_id`, `aws_secret_access_key` and `aws_region` (optional `aws_session_token`, and
//     `aws_service`, default `aps`, Amazon Managed Service for Prometheus): AWS SigV4 signing (sigv4.ts);
// - `ca.crt` (optional): PEM certificates trusted, besides the public roots, for TLS to the address and to the
//   token URL (tls.ts);
// - `headers` (optional): a JSON object of header names to values the operator pins, e.g. a tenant
//   {"X-Scope-OrgID": "team-a"}; they replace a config's headers of the same name (headers.ts).
// Files are read afresh for every request, so a rotated Secret applies without a restart. Messages name files,
// never their contents.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactAddress } from './address.js';
import { headersProblems } from './headers.js';

/** Folder names, as Kubernetes names Secrets. */
export const CREDENTIAL_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class CredentialError extends Error {
  override name = 'CredentialError';
  /** `transient`: the failure may pass (an OAuth2 token endpoint overloaded or unreachable). */
  constructor(
    message: string,
    readonly transient = false,
  ) {
    super(message);
  }
}

export type Authentication =
  | { kind: 'bearer'; token: string }
  | { kind: 'apikey'; key: string }
  | { kind: 'datadog'; apiKey: string; appKey: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'oauth2'; clientId: string; clientSecret: string; tokenUrl: string; scopes: string[] }
  | { kind: 'sigv4'; accessKeyId: string; secretAccessKey: string; sessionToken?: string; region: string; service: string };

export interface Credentials {
  /** The folder's name, as a config gives it: messages say `credentials "<name>"`. */
  name: string;
  folder: string;
  /** The URL prefix it applies to. */
  address: string;
  authentication?: Authentication;
  /** PEM certificates to trust. */
  ca?: string;
  /** Headers the operator pins. */
  headers: Record<string, string>;
}

const FILES = [
  'address',
  'token',
  'api_key',
  'app_key',
  'username',
  'password',
  'oauth2_client_id',
  'oauth2_client_secret',
  'oauth2_token_url',
  'oauth2_scopes',
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_region',
  'aws_service',
  'ca.crt',
  'headers',
] as const;
type FileName = (typeof FILES)[number];
/** A folder's files, trimmed (a Secret file often ends with a newline); absent when the file does not exist. */
export type FolderFiles = Partial<Record<FileName, string>>;

/** The files of each kind of authentication: all of `required`, and any of `optional`. */
const KINDS = {
  bearer: { required: ['token'], optional: [] },
  apikey: { required: ['api_key'], optional: [] },
  datadog: { required: ['api_key', 'app_key'], optional: [] },
  basic: { required: ['username', 'password'], optional: [] },
  oauth2: { required: ['oauth2_client_id', 'oauth2_client_secret', 'oauth2_token_url'], optional: ['oauth2_scopes'] },
  sigv4: { required: ['aws_access_key_id', 'aws_secret_access_key', 'aws_region'], optional: ['aws_session_token', 'aws_service'] },
} as const satisfies Record<Authentication['kind'], { required: readonly FileName[]; optional: readonly FileName[] }>;

// What a header can carry: printable ASCII without spaces (a token, a key id, a session token).
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const AWS_SERVICE = /^[a-z0-9-]{1,64}$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CredentialError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Same scheme, host and port, and a path under the allowed one: "http://prom:9090.evil" is not "http://prom:9090". */
export function isWithin(address: string, allowed: string): boolean {
  let target: URL;
  let base: URL;
  try {
    target = new URL(address);
    base = new URL(allowed);
  } catch {
    return false;
  }
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const targetPath = target.pathname.endsWith('/') ? target.pathname : `${target.pathname}/`;
  return target.origin === base.origin && targetPath.startsWith(basePath);
}

/** Why `text` cannot be an OAuth2 token URL, or null: the client secret goes there, so https, or http to this machine only. */
export function tokenUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected an https URL such as "https://auth.example/oauth2/token"; got ${JSON.stringify(redactAddress(text))}`;
  }
  if (url.username || url.password) return 'must not contain a user name or password: the client id and secret have their own files';
  if (url.protocol === 'https:') return null;
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname);
  if (url.protocol === 'http:' && loopback) return null;
  return `must be an https URL (the client secret is sent to it; http only to a loopback address); got ${JSON.stringify(redactAddress(text))}`;
}

/** Why `pem` cannot be a ca.crt, or null: one or more PEM certificates, each of which parses. */
export function caProblem(pem: string): string | null {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (!blocks.length) return 'holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `certificate ${i + 1} of ${blocks.length} does not parse as X.509`;
    }
  }
  return null;
}

/** The present files of each kind, given or not; a file that is empty counts as absent, except a password. */
function presentFiles(files: FolderFiles): Partial<Record<Authentication['kind'], FileName[]>> {
  const present = (file: FileName) => (file === 'password' ? files[file] !== undefined : Boolean(files[file]));
  const found: Partial<Record<Authentication['kind'], FileName[]>> = {};
  for (const [kind, { required, optional }] of Object.entries(KINDS) as [Authentication['kind'], (typeof KINDS)[keyof typeof KINDS]][]) {
    const given = [...required, ...optional].filter(present);
    if (given.length) found[kind] = given;
  }
  // api_key alone is an API key; beside an app_key it is half of Datadog's pair.
  if (found.datadog?.includes('app_key')) delete found.apikey;
  else delete found.datadog;
  return found;
}

/** The folder's kind of authentication, if it has one; throws CredentialError for a mixed, partial or malformed one. */
function authenticationOf(name: string, files: FolderFiles): Authentication | undefined {
  const found = presentFiles(files);
  const kinds = Object.keys(found) as Authentication['kind'][];
  if (kinds.length > 1) {
    const groups = kinds.map((kind) => found[kind]!.join(', ')).join('; ');
    throw new CredentialError(`credentials "${name}" hold files of more than one kind of authentication (${groups}): keep the files of one kind`);
  }
  const [kind] = kinds;
  if (!kind) return undefined;
  const missing = KINDS[kind].required.filter((file) => !found[kind]!.includes(file));
  if (missing.length) {
    throw new CredentialError(`credentials "${name}" hold ${found[kind]!.join(', ')} but not ${missing.join(', ')}: ${KINDS[kind].required.join(', ')} go together`);
  }
  const unsafe = (file: FileName) => new CredentialError(`${file} in credentials "${name}" holds characters a request header cannot carry (spaces, line breaks or non-ASCII)`);
  const file = (key: FileName) => files[key]!;
  switch (kind) {
    case 'bearer':
      if (!HEADER_SAFE.test(file('token'))) throw unsafe('token');
      return { kind, token: file('token') };
    case 'apikey':
      if (!HEADER_SAFE.test(file('api_key'))) throw unsafe('api_key');
      return { kind, key: file('api_key') };
    case 'datadog':
      for (const key of ['api_key', 'app_key'] as const) if (!HEADER_SAFE.test(file(key))) throw unsafe(key);
      return { kind, apiKey: file('api_key'), appKey: file('app_key') };
    case 'basic':
      return { kind, username: file('username'), password: file('password') };
    case 'oauth2': {
      const problem = tokenUrlProblem(file('oauth2_token_url'));
      if (problem) throw new CredentialError(`oauth2_token_url in credentials "${name}" ${problem}`);
      return { kind, clientId: file('oauth2_client_id'), clientSecret: file('oauth2_client_secret'), tokenUrl: file('oauth2_token_url'), scopes: (files.oauth2_scopes ?? '').split(/\s+/).filter(Boolean) };
    }
    case 'sigv4': {
      for (const header of ['aws_access_key_id', 'aws_session_token'] as const) if (files[header] && !HEADER_SAFE.test(files[header])) throw unsafe(header);
      if (!AWS_REGION.test(file('aws_region'))) throw new CredentialError(`aws_region in credentials "${name}" must be an AWS region such as us-east-1; got ${JSON.stringify(file('aws_region').slice(0, 40))}`);
      const service = files.aws_service || 'aps';
      if (!AWS_SERVICE.test(service)) throw new CredentialError(`aws_service in credentials "${name}" must be an AWS signing name such as aps; got ${JSON.stringify(service.slice(0, 64))}`);
      const sessionToken = files.aws_session_token || undefined;
      return { kind, accessKeyId: file('aws_access_key_id'), secretAccessKey: file('aws_secret_access_key'), ...(sessionToken && { sessionToken }), region: file('aws_region'), service };
    }
  }
}

/** The `headers` file as header names to values; throws CredentialError naming the header, never a value. */
function pinnedHeadersOf(name: string, text: string | undefined): Record<string, string> {
  if (text === undefined || text === '') return {};
  const expected = `headers in credentials "${name}" must be a JSON object of header names to string values, e.g. {"X-Scope-OrgID": "team-a"}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialError(`${expected}; it is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((value) => typeof value !== 'string')) {
    throw new CredentialError(expected);
  }
  const headers = parsed as Record<string, string>;
  const [problem] = headersProblems(headers);
  if (problem) throw new CredentialError(`headers in credentials "${name}": ${problem.message}`);
  return headers;
}

/** What folder `name`'s files say, checked; throws CredentialError. Pure, for the files read by readCredentials. */
export function credentialsFrom(name: string, folder: string, files: FolderFiles & { address: string }): Credentials {
  const authentication = authenticationOf(name, files);
  const ca = files['ca.crt'] || undefined;
  const caIssue = ca === undefined ? null : caProblem(ca);
  if (caIssue) throw new CredentialError(`ca.crt in credentials "${name}" ${caIssue}`);
  const headers = pinnedHeadersOf(name, files.headers);
  if (!authentication && !ca && !Object.keys(headers).length) {
    throw new CredentialError(
      `credentials "${name}" hold nothing to use in ${folder}: a token, an api_key, username and password, oauth2_client_id/oauth2_client_secret/oauth2_token_url, aws_access_key_id/aws_secret_access_key/aws_region, ca.crt or headers`,
    );
  }
  return { name, folder, address: files.address, ...(authentication && { authentication }), ...(ca && { ca }), headers };
}

/**
 * Credentials folder `name`, read afresh and checked, for a request to `address`: throws CredentialError when the
 * engine has no credentials directory, the folder does not exist, or its `address` does not cover `address`.
 */
export async function readCredentials(credentialsDir: string | undefined, name: string, address: string): Promise<Credentials> {
  if (!credentialsDir) throw new CredentialError(`credentials "${name}" requested, but the engine runs without --credentials-dir`);
  if (!CREDENTIAL_NAME.test(name)) throw new CredentialError(`credentials name ${JSON.stringify(name)} is not a Kubernetes name`);
  const folder = join(credentialsDir, name);
  const contents = await Promise.all(FILES.map((file) => readOptional(join(folder, file))));
  const files: FolderFiles = Object.fromEntries(FILES.map((file, i) => [file, contents[i]]).filter(([, content]) => content !== undefined));
  const allowed = files.address;
  if (allowed === undefined) throw new CredentialError(`credentials "${name}" not found: ${join(folder, 'address')} does not exist`);
  if (!isWithin(address, allowed)) {
    throw new CredentialError(`credentials "${name}" may be sent only to ${redactAddress(allowed)}, not to ${redactAddress(address)}`);
  }
  return credentialsFrom(name, folder, { ...files, address: allowed });
}

/** The values a message must never show: every secret file's content and the pinned headers' values. */
export function secretsOf(credentials: Credentials): string[] {
  const auth = credentials.authentication;
  const secrets = Object.values(credentials.headers);
  if (auth?.kind === 'bearer') secrets.push(auth.token);
  if (auth?.kind === 'apikey') secrets.push(auth.key);
  if (auth?.kind === 'datadog') secrets.push(auth.apiKey, auth.appKey);
  if (auth?.kind === 'basic') secrets.push(auth.password);
  if (auth?.kind === 'oauth2') secrets.push(auth.clientSecret);
  if (auth?.kind === 'sigv4') secrets.push(auth.secretAccessKey, ...(auth.sessionToken ? [auth.sessionToken] : []));
  return secrets;
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * The Authorization header for credential `name`, for a source that sends only a token or basic authentication:
 * a folder with OAuth2 or AWS keys, a CA or pinned headers is refused rather than half applied (a tenant header
 * left out would read another tenant's data); request-auth.ts applies all of them.
 */
export async function authorizationFor(credentialsDir: string | undefined, name: string, address: string): Promise<string> {
  const credentials = await readCredentials(credentialsDir, name, address);
  const auth = credentials.authentication;
  const otherKind = auth && { apikey: 'api_key', datadog: 'api_key and app_key', oauth2: 'oauth2_* files', sigv4: 'aws_* files', bearer: undefined, basic: undefined }[auth.kind];
  const unused = [...(credentials.ca ? ['ca.crt'] : []), ...(Object.keys(credentials.headers).length ? ['headers'] : []), ...(otherKind ? [otherKind] : [])];
  if (!unused.length && auth?.kind === 'bearer') return `Bearer ${auth.token}`;
  if (!unused.length && auth?.kind === 'basic') return basicAuthorization(auth.username, auth.password);
  // Whatever else a folder holds (credentialsFrom refuses an empty one) is not applied here.
  throw new CredentialError(`credentials "${name}" hold ${unused.join(', ')}, which this source does not apply: it sends a token or username and password only`);
}
