// Kubernetes API clients from a KubeConfig: in-cluster or a kubeconfig file, one context of it (several clusters
// are several contexts), optionally impersonating a user and groups so that the cluster's RBAC decides what a
// mapped identity may do.
import * as http from 'node:http';
import * as https from 'node:https';
import {
  KubeConfig,
  ResponseContext,
  ServerConfiguration,
  createConfiguration,
  wrapHttpLibrary,
  type ApiConstructor,
  type ApiType,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';

export interface Impersonation {
  user: string;
  groups?: string[];
}

export interface KubeConfigSource {
  /** Use the Pod's service account (`KUBERNETES_SERVICE_HOST`, the mounted token and CA). */
  inCluster?: boolean;
  /** A kubeconfig file; without it (and without `inCluster`) the usual `KUBECONFIG` / `~/.kube/config`. */
  kubeconfig?: string;
  /** A context of the kubeconfig; its current context otherwise. */
  context?: string;
}

export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const kc = new KubeConfig();
  if (source.inCluster) kc.loadFromCluster();
  else if (source.kubeconfig) kc.loadFromFile(source.kubeconfig);
  else kc.loadFromDefault();
  if (source.context !== undefined) {
    if (!kc.getContextObject(source.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(`no context "${source.context}" in the kubeconfig (contexts: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(source.context);
  }
  return kc;
}

/**
 * An API client (e.g. `CustomObjectsApi`) for the KubeConfig's current context, as `kc.makeApiClient` builds it,
 * plus the impersonation headers on every request when `impersonate` is given.
 */
export function makeApiClient<T extends ApiType>(kc: KubeConfig, apiClientType: ApiConstructor<T>, options: { impersonate?: Impersonation } = {}): T {
  if (!options.impersonate) return kc.makeApiClient(apiClientType);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`the kubeconfig's context "${kc.getCurrentContext()}" has no cluster`);
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: impersonatingHttpLibrary(options.impersonate),
  });
  return new apiClientType(config);
}

/**
 * Sends each request with node:http(s) (through the agent the KubeConfig prepared: TLS, client certificates) and
 * the impersonation headers. Not the library's default fetch: it joins repeated headers into one comma-separated
 * value, and the API server reads every `Impersonate-Group` line as one group.
 */
function impersonatingHttpLibrary(impersonate: Impersonation): HttpLibrary {
  if (!impersonate.user) throw new Error('impersonation needs a user name');
  return wrapHttpLibrary({
    send: (request) => sendImpersonated(request, impersonate),
  });
}

function sendImpersonated(request: RequestContext, impersonate: Impersonation): Promise<ResponseContext> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(request.getHeaders())) {
    // a kubeconfig's own `as:` must not combine with (or override) the mapped identity
    if (!/^impersonate-/i.test(key)) headers[key] = value;
  }
  headers['Impersonate-User'] = impersonate.user;
  if (impersonate.groups?.length) headers['Impersonate-Group'] = impersonate.groups;
  const url = new URL(request.getUrl());
  const body = request.getBody();
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) throw new Error('unsupported request body (form data)');
  const send = url.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: request.getHttpMethod(), headers, agent: request.getAgent(), signal: request.getSignal() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        const responseHeaders: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders[key] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve(
          new ResponseContext(res.statusCode ?? 0, responseHeaders, {
            text: async () => buffer.toString('utf8'),
            binary: async () => buffer,
          }),
        );
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
