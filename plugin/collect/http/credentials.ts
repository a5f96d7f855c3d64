// Backend credentials by reference. The engine's operator mounts each Kubernetes Secret as a folder under the
// credentials directory; a verification config names the folder, never the secret itself. A credential is sent
// only to the address it was issued for, so whoever writes an AnalysisTemplate cannot send it elsewhere.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactAddress } from './address.js';

/** Folder names, as Kubernetes names Secrets. */
export const CREDENTIAL_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class CredentialError extends Error {
  override name = 'CredentialError';
}

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

/**
 * The Authorization header for credential `name`, read afresh on every call so a rotated Secret takes effect
 * without a restart. The folder holds `address` (the URL prefix it may be sent to) and either `token` (bearer)
 * or `username` and `password` (basic). Messages name files, never their contents.
 */
export async function authorizationFor(credentialsDir: string | undefined, name: string, address: string): Promise<string> {
  if (!credentialsDir) throw new CredentialError(`credentials "${name}" requested, but the engine runs without --credentials-dir`);
  if (!CREDENTIAL_NAME.test(name)) throw new CredentialError(`credentials name ${JSON.stringify(name)} is not a Kubernetes name`);
  const folder = join(credentialsDir, name);
  const [allowed, token, username, password] = await Promise.all(
    ['address', 'token', 'username', 'password'].map((file) => readOptional(join(folder, file))),
  );
  if (allowed === undefined) throw new CredentialError(`credentials "${name}" not found: ${join(folder, 'address')} does not exist`);
  if (!isWithin(address, allowed)) {
    throw new CredentialError(`credentials "${name}" may be sent only to ${redactAddress(allowed)}, not to ${redactAddress(address)}`);
  }
  if (token) return `Bearer ${token}`;
  if (username !== undefined && password !== undefined) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  throw new CredentialError(`credentials "${name}" hold neither a token file nor username and password files in ${folder}`);
}
