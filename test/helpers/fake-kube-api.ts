// An in-process HTTP server standing in for the Kubernetes API in unit tests and benchmarks: it records every
// request (method, path, content type, headers, body) and answers what the responder says — a test's own, or
// `objectStore().respond` (test/helpers/fake-kube-store.ts) for a stateful fake with the API server's semantics —
// including watches, streamed one event per line.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  contentType?: string;
  headers: IncomingHttpHeaders;
  /** Header lines as sent, name and value alternating (repeated headers stay apart). */
  rawHeaders: string[];
  /** The body parsed as JSON, or undefined without one. */
  body: unknown;
}

export interface FakeResponse {
  status?: number;
  body?: unknown;
  /**
   * A watch: answered 200 at once, then each event `send`s is one line of the body, until `end` (or the client goes
   * away, when the returned function runs).
   */
  watch?: (send: (event: object) => void, end: () => void) => () => void;
}

export type Responder = (request: RecordedRequest) => FakeResponse | undefined;

export interface FakeKubeApi {
  url: string;
  requests: RecordedRequest[];
  /** A KubeConfig whose current context points at this server (two contexts: `fake` and `other`, same server). */
  kubeConfig(): KubeConfig;
  close(): Promise<void>;
}

/** Unanswered requests get a 404 Status, as the API server's for a missing object. */
export async function startFakeKubeApi(respond: Responder): Promise<FakeKubeApi> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'],
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(recorded);
      let answer: FakeResponse | undefined;
      try {
        answer = respond(recorded);
      } catch (error) {
        answer = { status: 500, body: status(500, 'InternalError', (error as Error).message) };
      }
      answer ??= { status: 404, body: status(404, 'NotFound', `${url.pathname} not found`) };
      if (answer.watch) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const stop = answer.watch(
          (event) => void (res.writableEnded || res.write(`${JSON.stringify(event)}\n`)),
          () => void res.end(),
        );
        res.on('close', stop);
        return;
      }
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        // plain HTTP needs skipTLSVerify in client-node
        clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
        users: [{ name: 'tester', token: 'secret-token' }],
        contexts: [
          { name: 'fake', cluster: 'fake', user: 'tester' },
          { name: 'other', cluster: 'fake', user: 'tester', namespace: 'other' },
        ],
        currentContext: 'fake',
      });
      return kc;
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // open watches would keep it open
        server.closeAllConnections();
      }),
  };
}

/** A Kubernetes Status body. */
export function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code };
}

/** The values of header `name` (lower case), one per line sent. */
export function headerValues(request: RecordedRequest, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]!.toLowerCase() === name) values.push(request.rawHeaders[i + 1]!);
  }
  return values;
}
