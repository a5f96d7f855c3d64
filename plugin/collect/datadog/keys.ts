// The keys of a Datadog source, by reference: a credentials folder (a Secret mounted under the engine's
// --credentials-dir, see credentials.ts) holding `address`, the URL prefix the keys may be sent to (e.g.
// https://api.datadoghq.eu), `api_key` (the organization's API key) and `app_key` (an application key whose user or
// service account may read metrics and logs). They go only to an address the folder allows, so whoever writes an
// AnalysisTemplate cannot send them elsewhere. Read afresh for every request, so a rotated Secret applies without a
// restart. Messages name the folder and its files, never their contents.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactAddress } from '../http/address.js';
import { CREDENTIAL_NAME, CredentialError, isWithin } from '../http/credentials.js';

export interface DatadogKeys {
  apiKey: string;
  appKey: string;
}

// What a request header can carry: printable ASCII without spaces.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

async function readKeyFile(folder: string, file: string): Promise<string | undefined> {
  try {
    return (await readFile(join(folder, file), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CredentialError(`cannot read ${join(folder, file)}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** The keys of folder `name` for a request to `address`; throws CredentialError. */
export async function readDatadogKeys(credentialsDir: string | undefined, name: string, address: string): Promise<DatadogKeys> {
  if (!credentialsDir) throw new CredentialError(`credentials "${name}" requested, but the engine runs without --credentials-dir`);
  if (!CREDENTIAL_NAME.test(name)) throw new CredentialError(`credentials name ${JSON.stringify(name)} is not a Kubernetes name`);
  const folder = join(credentialsDir, name);
  const [allowed, apiKey, appKey] = await Promise.all(['address', 'api_key', 'app_key'].map((file) => readKeyFile(folder, file)));
  if (allowed === undefined) throw new CredentialError(`credentials "${name}" not found: ${join(folder, 'address')} does not exist`);
  if (!isWithin(address, allowed)) {
    throw new CredentialError(`credentials "${name}" may be sent only to ${redactAddress(allowed)}, not to ${redactAddress(address)}`);
  }
  const missing = [...(apiKey ? [] : ['api_key']), ...(appKey ? [] : ['app_key'])];
  if (missing.length) throw new CredentialError(`credentials "${name}" hold no ${missing.join(' and ')} in ${folder} (a Datadog source needs an API key and an application key)`);
  for (const [file, key] of [['api_key', apiKey], ['app_key', appKey]] as const) {
    if (!HEADER_SAFE.test(key!)) throw new CredentialError(`${file} in credentials "${name}" holds characters a request header cannot carry (spaces, line breaks or non-ASCII)`);
  }
  return { apiKey: apiKey!, appKey: appKey! };
}
