// VictoriaLogs' health check: `GET health`, through the same request path as its queries (log-http.ts: the tenant,
// the credentials folder's headers, authentication and CA, the timeout). VictoriaLogs answers a plain `OK` once its
// storage is open; its query API tells no version (only its /metrics, which a proxy in front of the query API such
// as vmauth need not route, does).
import type { HealthOptions } from '../backend.js';
import { requestLogStore, type LogStore } from '../log-http.js';
import type { Fail } from '../queued-request.js';
import { RequestQueue } from '../request-queue.js';
import { CollectError } from '../source.js';
import { tenantHeaders, type VictoriaLogsSettings } from './settings.js';

export async function victoriaLogsHealth(settings: VictoriaLogsSettings, options: HealthOptions): Promise<string> {
  const description = `VictoriaLogs at ${settings.address}`;
  const fail: Fail = (cause, transient = false) => new CollectError('health', description, cause, transient);
  const base = settings.address.endsWith('/') ? settings.address : `${settings.address}/`;
  const store: LogStore = {
    title: 'VictoriaLogs',
    address: settings.address,
    timeoutMs: settings.timeout,
    credentials: settings.credentials,
    credentialsDir: options.credentialsDir,
    headers: tenantHeaders(settings.tenant),
    queue: options.queue ?? new RequestQueue(),
  };
  const { text, contentType } = await requestLogStore(store, { method: 'GET', url: new URL('health', base).toString(), params: new URLSearchParams(), signal: options.signal, deadline: options.deadline }, fail);
  // A proxy's page or another service answering 200 is not VictoriaLogs.
  if (text.trim() !== 'OK' || !contentType?.startsWith('text/plain')) throw fail(`HTTP 200, not VictoriaLogs' health answer (${contentType?.split(';')[0] ?? 'no content type'}, ${Buffer.byteLength(text)} bytes)`);
  return `VictoriaLogs at ${settings.address} is healthy (its query API tells no version)`;
}
