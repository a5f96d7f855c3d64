// Credentials for a step, from a Secret in the run's namespace: a release repository's token or SSH key (`git`),
// Jira's account and API token (`jira`), a webhook's headers (`webhook`). Whoever writes a Pipeline chooses the URL
// they are sent to, so a Secret only serves a step when whoever manages it allowed that: it carries the label
// rollouts-cv.io/credentials=<purpose> and lists the URL prefixes it may be sent to (annotation
// rollouts-cv.io/allowed-urls, each ending in "/"). Otherwise a Pipeline could send a token to a server of its author's choosing.
import type { CoreV1Api } from '@kubernetes/client-node';
import { isApiStatus } from '../kube/api-errors.js';
import type { GitCredentials } from './git.js';
import { checkOutboundUrl, type UrlRule } from './outbound-url.js';
import { checkRepoUrl } from './release-repo.js';

export const CREDENTIALS_LABEL = 'rollouts-cv.io/credentials';
export const ALLOWED_URLS_ANNOTATION = 'rollouts-cv.io/allowed-urls';

export interface SecretData {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Decoded values. */
  data: Record<string, string>;
}

/** A Secret, or null when there is none of that name. */
export type SecretReader = (namespace: string, name: string) => Promise<SecretData | null>;

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

export function kubeSecretReader(core: CoreV1Api): SecretReader {
  return async (namespace, name) => {
    try {
      const secret = await core.readNamespacedSecret({ namespace, name });
      const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
      return { labels: secret.metadata?.labels ?? {}, annotations: secret.metadata?.annotations ?? {}, data };
    } catch (error) {
      if (isApiStatus(error, 404)) return null;
      throw error;
    }
  };
}

/** What each label value lets a Secret serve. */
const PURPOSES = { git: 'release repositories', jira: 'Jira steps', webhook: 'webhook steps' } as const;
export type CredentialsPurpose = keyof typeof PURPOSES;

/**
 * The decoded data of Secret `name` when it is labelled for `purpose` and one of its allowed prefixes starts `url`
 * (a URL already checked to be plain); throws CredentialsError saying what to fix.
 */
async function allowedSecretData(read: SecretReader, namespace: string, name: string, purpose: CredentialsPurpose, url: string): Promise<{ where: string; data: Record<string, string> }> {
  const secret = await read(namespace, name);
  const where = `Secret ${namespace}/${name}`;
  if (!secret) throw new CredentialsError(`${where} does not exist`);
  if (secret.labels[CREDENTIALS_LABEL] !== purpose) throw new CredentialsError(`${where} is not labelled ${CREDENTIALS_LABEL}=${purpose}, so it does not serve ${PURPOSES[purpose]}`);
  const allowed = (secret.annotations[ALLOWED_URLS_ANNOTATION] ?? '').split(/[\s,]+/).filter(Boolean);
  // A prefix without its "/" would also allow another host (https://git.example → https://git.example.evil.com).
  const unbounded = allowed.filter((prefix) => !prefix.endsWith('/') && !prefix.endsWith(':'));
  if (unbounded.length) throw new CredentialsError(`${where}: each ${ALLOWED_URLS_ANNOTATION} prefix must end with "/" (or ":" for git@host:); ${unbounded.join(', ')} does not`);
  if (!allowed.some((prefix) => url.startsWith(prefix))) {
    throw new CredentialsError(`${where} may not be sent to ${url}: its ${ALLOWED_URLS_ANNOTATION} annotation allows ${allowed.length ? allowed.join(', ') : 'no URL'}`);
  }
  return { where, data: secret.data };
}

/** The credentials the step's Secret gives for `url`, or none without a Secret; throws CredentialsError saying what to fix. */
export async function gitCredentials(read: SecretReader, namespace: string, repository: { url: string; credentialsSecret?: { name: string } | undefined }): Promise<GitCredentials> {
  // Checked before any Secret is read: the URL git is given is the one compared with the allowed prefixes.
  checkRepoUrl(repository.url);
  const name = repository.credentialsSecret?.name;
  if (!name) return { kind: 'none' };
  const { where, data } = await allowedSecretData(read, namespace, name, 'git', repository.url);
  const { username, token, sshPrivateKey, knownHosts } = data;
  // A Secret may hold both: the SSH key for an SSH repository, and a token for its forge's API (pull requests).
  const ssh = sshPrivateKey && knownHosts ? ({ kind: 'ssh', privateKey: sshPrivateKey, knownHosts } as const) : undefined;
  if (ssh && !/^https?:\/\//.test(repository.url)) return ssh;
  if (token) return { kind: 'token', username: username || 'git', token };
  if (ssh) return ssh;
  throw new CredentialsError(`${where} holds neither "token" (with "username") nor "sshPrivateKey" with "knownHosts"`);
}

const FORGE_API_URL: UrlRule = { what: 'pull request apiUrl', expected: "expected the forge API's https:// address, e.g. https://api.github.com or https://gitlab.example/api/v4" };

export interface ForgeToken {
  /** The API as checked; its href is the URL compared with the allowed prefixes. */
  api: URL;
  /** The Secret, as messages name it. */
  secret: string;
  token: string;
}

/**
 * The forge API token for a repository's pull requests: the `token` of the repository's own Secret, when that Secret
 * also allows the API's URL. Throws CredentialsError or OutboundUrlError.
 */
export async function forgeToken(read: SecretReader, namespace: string, repository: { credentialsSecret: { name: string } }, apiUrl: string): Promise<ForgeToken> {
  const api = checkOutboundUrl(apiUrl, FORGE_API_URL);
  const href = api.href.endsWith('/') ? api.href : `${api.href}/`;
  const { where, data } = await allowedSecretData(read, namespace, repository.credentialsSecret.name, 'git', href);
  const token = data.token?.trim();
  if (!token) throw new CredentialsError(`${where} holds no "token", which the forge's API needs for pull requests`);
  return { api, secret: where, token };
}

const JIRA_URL: UrlRule = { what: 'Jira URL', expected: "expected the site's https:// address, e.g. https://example.atlassian.net" };

export interface JiraCredentials {
  /** The Jira site as checked; its href (ending in "/") is the URL compared with the allowed prefixes. */
  site: URL;
  /** The Secret, as messages name it. */
  secret: string;
  email: string;
  apiToken: string;
}

/** Jira Cloud's basic auth (an account's email and API token) from the step's Secret; throws CredentialsError or OutboundUrlError. */
export async function jiraCredentials(read: SecretReader, namespace: string, jira: { url: string; credentialsSecret: { name: string } }): Promise<JiraCredentials> {
  const site = checkOutboundUrl(jira.url, JIRA_URL);
  const { where, data } = await allowedSecretData(read, namespace, jira.credentialsSecret.name, 'jira', site.href);
  // A Secret made from files often ends its values with a newline, which is no part of them.
  const email = data.email?.trim();
  const apiToken = data.apiToken?.trim();
  if (!email || !apiToken) throw new CredentialsError(`${where} must hold "email" (a Jira account's) and "apiToken" (an API token of that account)`);
  return { site, secret: where, email, apiToken };
}

const WEBHOOK_URL: UrlRule = { what: 'webhook URL', expected: 'expected https://host/path' };
/** RFC 9110 field names ("token"); values without control characters other than tab. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers HTTP itself or the step sets: from a Secret they would break the request or its deduplication. */
const RESERVED_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'idempotency-key'];

/** A webhook's URL, checked, and its headers: one per key of its Secret, none without one. Throws CredentialsError or OutboundUrlError. */
export async function webhookTarget(read: SecretReader, namespace: string, webhook: { url: string; headersSecret?: { name: string } | undefined }): Promise<{ url: URL; headers: Record<string, string> }> {
  const url = checkOutboundUrl(webhook.url, WEBHOOK_URL);
  if (!webhook.headersSecret) return { url, headers: {} };
  const { where, data } = await allowedSecretData(read, namespace, webhook.headersSecret.name, 'webhook', url.href);
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(data)) {
    if (!HEADER_NAME.test(name)) throw new CredentialsError(`${where}: key ${JSON.stringify(name)} is not a valid header name (expected letters, digits and !#$%&'*+.^_\`|~-)`);
    if (RESERVED_HEADERS.includes(name.toLowerCase())) throw new CredentialsError(`${where}: key "${name}" names a header that HTTP or the webhook step sets itself`);
    const value = raw.trim();
    if (!HEADER_VALUE.test(value)) throw new CredentialsError(`${where}: the value of "${name}" holds a line break or another control character, which a header cannot`);
    headers[name] = value;
  }
  return { url, headers };
}

export { withoutSecrets } from '../text.js';
