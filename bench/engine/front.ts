// The engine benchmark's Prometheus as the engine sees it: a process of its own in front of the real Prometheus
// that counts the requests and how many are in flight at once, and either passes each one through (`proxy`) or
// answers instantly (`replay`) with the response Prometheus gave to the first request of the same query (and the
// same Accept-Encoding), so that only the engine's own work is left. `GET /__bench/stats` answers
// {"requests","peak","inFlight","peakConnections"}; `POST /__bench/reset` starts counting afresh.
//
//   vite-node bench/engine/front.ts -- --mode proxy|replay --target http://127.0.0.1:9090
//
// Prints {"url": "http://127.0.0.1:<port>"} on stdout once listening; runs until SIGTERM or the end of stdin.
import { Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

interface Canned {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const { values } = parseArgs({ options: { mode: { type: 'string' }, target: { type: 'string' } }, allowPositionals: true });
const mode = values.mode;
if ((mode !== 'proxy' && mode !== 'replay') || !values.target) {
  process.stderr.write('usage: front.ts --mode proxy|replay --target URL\n');
  process.exit(2);
}
const target = new URL(values.target);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

let requests = 0;
let inFlight = 0;
let peak = 0;
// Open connections: a request the engine has sent but the front not yet read still holds one (HTTP/1.1), so
// their peak shows the engine's concurrency even where the answers are instant.
let connections = 0;
let peakConnections = 0;
const canned = new Map<string, Promise<Canned>>();

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk)).once('end', () => resolve(Buffer.concat(chunks))).once('error', reject);
  });
}

/** Sends the request to Prometheus and resolves with its whole answer. */
function forward(request: IncomingMessage, body: Buffer, signal?: AbortSignal): Promise<Canned> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers, host: target.host };
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers, agent, signal }, (response) => {
      const chunks: Buffer[] = [];
      response
        .on('data', (chunk: Buffer) => chunks.push(chunk))
        .once('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }))
        .once('error', reject);
    });
    upstream.once('error', reject);
    upstream.end(body);
  });
}

/** The query a request asks, whether sent as a form (POST) or in the URL (GET). */
function queryOf(request: IncomingMessage, body: Buffer): string {
  const url = new URL(request.url ?? '/', 'http://front');
  return url.searchParams.get('query') ?? new URLSearchParams(body.toString('utf8')).get('query') ?? '';
}

function send(response: ServerResponse, answer: Canned): void {
  const { 'transfer-encoding': _chunked, connection: _connection, 'keep-alive': _keepAlive, ...headers } = answer.headers;
  response.writeHead(answer.status, { ...headers, 'content-length': answer.body.length }).end(answer.body);
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.url === '/__bench/stats') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, peak, inFlight, peakConnections }));
    return;
  }
  if (request.url === '/__bench/reset') {
    requests = 0;
    peak = inFlight;
    peakConnections = connections;
    response.writeHead(204).end();
    return;
  }
  requests++;
  inFlight++;
  peak = Math.max(peak, inFlight);
  // A request the engine gave up on (closed its connection) is aborted upstream too.
  const abort = new AbortController();
  response.once('close', () => abort.abort());
  try {
    const body = await readBody(request);
    if (mode === 'proxy') {
      send(response, await forward(request, body, abort.signal));
      return;
    }
    const key = `${request.headers['accept-encoding'] ?? ''}\n${queryOf(request, body)}`;
    let answer = canned.get(key);
    if (!answer) {
      answer = forward(request, body);
      canned.set(key, answer);
      answer.catch(() => canned.delete(key));
    }
    send(response, await answer);
  } finally {
    inFlight--;
  }
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`bench front: ${error instanceof Error ? error.message : String(error)}`);
  });
});
server.on('connection', (socket) => {
  connections++;
  peakConnections = Math.max(peakConnections, connections);
  socket.once('close', () => connections--);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  agent.destroy();
};
process.once('SIGTERM', stop);
process.stdin.resume().once('end', stop);
