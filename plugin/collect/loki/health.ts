// Loki's health check: `GET loki/api/v1/status/buildinfo` for its version, through the same request path as its
// queries (log-http.ts: the tenant, the credentials folder's headers, authentication and CA, the timeout). A gateway
// that routes only some of Loki's paths may not serve buildinfo (404): then `GET ready` tells that Loki is up, without
// its version.
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import type { HealthOptions } from '../backend.js';
import { requestLogStore, type LogStore } from '../log-http.js';
import type { Fail } from '../queued-request.js';
import { RequestQueue } from '../request-queue.js';
import { CollectError } from '../source.js';
import type { LokiSettings } from './settings.js';

// Loki's buildinfo is flat, not wrapped in {status, data}: {"version":"3.1.1","revision":…,"branch":…,…}.
const buildInfo = z.object({ version: z.string().min(1) });
const MAX_SHOWN_CHARS = 100;

export async function lokiHealth(settings: LokiSettings, options: HealthOptions): Promise<string> {
  const description = `Loki at ${settings.address}`;
  const fail: Fail = (cause, transient = false) => new CollectError('health', description, cause, transient);
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const store: LogStore = {
    title: 'Loki',
    address: settings.address,
    timeoutMs: settings.timeout,
    credentials: settings.credentials,
    credentialsDir: options.credentialsDir,
    headers: settings.tenant ? { 'X-Scope-OrgID': settings.tenant } : {},
    queue: options.queue ?? new RequestQueue(),
  };
  const get = (path: string) => requestLogStore(store, { method: 'GET', url: new URL(path, base).toString(), params: new URLSearchParams(), signal: options.signal, deadline: options.deadline }, fail);

  let text: string;
  try {
    ({ text } = await get('loki/api/v1/status/buildinfo'));
  } catch (error) {
    if (!(error instanceof CollectError && error.causeText.startsWith('HTTP 404:'))) throw error;
    await get('ready');
    return `Loki at ${settings.address} is ready (it tells no version: no buildinfo)`;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = buildInfo.safeParse(body);
  if (!parsed.success) throw fail(`HTTP 200, not a Loki buildinfo response (${Buffer.byteLength(text)} bytes)`);
  return `Loki ${clip(parsed.data.version, MAX_SHOWN_CHARS)} at ${settings.address}`;
}
