// Credentials for a release repository, from a Secret in the run's namespace. Whoever writes a Pipeline chooses the
// repository URL, so a Secret only serves a step when whoever manages it allowed that: it carries the label
// rollouts-cv.io/credentials=git and lists the URL prefixes it may be sent to (annotation
// rollouts-cv.io/allowed-urls, each ending in "/"). Otherwise a Pipeline could send a token to a server of its author's choosing.
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { GitCredentials } from './git.js';
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
      if (error instanceof ApiException && error.code === 404) return null;
      throw error;
    }
  };
}

/** The credentials the step's Secret gives for `url`, or none without a Secret; throws CredentialsError saying what to fix. */
export async function gitCredentials(read: SecretReader, namespace: string, repository: { url: string; credentialsSecret?: { name: string } | undefined }): Promise<GitCredentials> {
  // Checked before any Secret is read: the URL git is given is the one compared with the allowed prefixes.
  checkRepoUrl(repository.url);
  const name = repository.credentialsSecret?.name;
  if (!name) return { kind: 'none' };
  const secret = await read(namespace, name);
  const where = `Secret ${namespace}/${name}`;
  if (!secret) throw new CredentialsError(`${where} does not exist`);
  if (secret.labels[CREDENTIALS_LABEL] !== 'git') throw new CredentialsError(`${where} is not labelled ${CREDENTIALS_LABEL}=git, so it does not serve release repositories`);
  const allowed = (secret.annotations[ALLOWED_URLS_ANNOTATION] ?? '').split(/[\s,]+/).filter(Boolean);
  // A prefix without its "/" would also allow another host (https://git.example → https://git.example.evil.com).
  const unbounded = allowed.filter((prefix) => !prefix.endsWith('/') && !prefix.endsWith(':'));
  if (unbounded.length) throw new CredentialsError(`${where}: each ${ALLOWED_URLS_ANNOTATION} prefix must end with "/" (or ":" for git@host:); ${unbounded.join(', ')} does not`);
  if (!allowed.some((prefix) => repository.url.startsWith(prefix))) {
    throw new CredentialsError(`${where} may not be sent to ${repository.url}: its ${ALLOWED_URLS_ANNOTATION} annotation allows ${allowed.length ? allowed.join(', ') : 'no URL'}`);
  }
  const { username, token, sshPrivateKey, knownHosts } = secret.data;
  if (token) return { kind: 'token', username: username || 'git', token };
  if (sshPrivateKey && knownHosts) return { kind: 'ssh', privateKey: sshPrivateKey, knownHosts };
  throw new CredentialsError(`${where} holds neither "token" (with "username") nor "sshPrivateKey" with "knownHosts"`);
}
