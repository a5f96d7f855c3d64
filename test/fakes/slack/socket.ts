// Socket Mode on the fake: `apps.connections.open` hands out a one-time `ws://127.0.0.1…/link/?ticket=…` URL; on
// connection the fake sends `{type:"hello"}` as Slack does, pushes `{envelope_id, type, payload}` envelopes on
// request, and records the client's acks (`{envelope_id, payload?}`) in the journal, so a Socket Mode App is
// exercised over a real WebSocket (the `ws` package, already in node_modules through the Kubernetes client).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Journal, Workspace } from './state.js';

// `ws` ships no types and @types/ws is not installed: the few members used here, typed locally.
interface WsSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', listener: () => void): void;
}
interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WsSocket) => void): void;
  close(): void;
}
const { WebSocketServer } = createRequire(import.meta.url)('ws') as {
  WebSocketServer: new (opts: { noServer: true }) => WsServer;
};

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
  at: number;
}

export interface PushOptions {
  acceptsResponsePayload?: boolean;
  retryAttempt?: number;
  retryReason?: string;
}

export class FakeSocketMode {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets: WsSocket[] = [];
  private readonly closed = new Map<WsSocket, Promise<void>>();
  readonly acks = new Map<string, SocketAck>();

  constructor(
    private readonly ws: Workspace,
    private readonly journal: Journal,
    private readonly wsBaseUrl: () => string,
  ) {}

  /** A single-use WebSocket URL (what apps.connections.open answers). */
  issueUrl(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${this.wsBaseUrl()}/link/?ticket=${ticket}&app_id=${this.ws.appId}`;
  }

  /** The HTTP server's `upgrade` handler: only `/link/` with an unused ticket is accepted (else 401). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (client) => {
      this.sockets.push(client);
      client.on('message', (data, isBinary) => this.onFrame(data, isBinary));
      this.closed.set(
        client,
        new Promise((resolve) =>
          client.on('close', () => {
            const i = this.sockets.indexOf(client);
            if (i >= 0) this.sockets.splice(i, 1);
            this.closed.delete(client);
            resolve();
          }),
        ),
      );
      const hello = {
        type: 'hello',
        num_connections: this.sockets.length,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.ws.appId },
      };
      client.send(JSON.stringify(hello));
      this.journal.record({ at: this.ws.now(), kind: 'socket', method: 'connect', args: { ticket }, status: 101, response: hello });
    });
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (isBinary) return;
    let frame: { envelope_id?: unknown; payload?: unknown };
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (typeof frame.envelope_id !== 'string') return;
    const ack: SocketAck = { envelope_id: frame.envelope_id, payload: frame.payload, at: this.ws.now() };
    this.acks.set(ack.envelope_id, ack);
    this.journal.record({ at: ack.at, kind: 'socket', method: 'ack', args: frame as Record<string, unknown>, status: 200, response: null });
  }

  get connectionCount(): number {
    return this.sockets.filter((s) => s.readyState === 1).length;
  }

  /** Resolves once a client has connected and received hello (immediately if one already is). */
  async waitForConnection(timeoutMs = 5000): Promise<void> {
    await this.journal.waitFor((e) => e.kind === 'socket' && e.method === 'connect', timeoutMs);
  }

  /**
   * Sends an envelope to the newest open connection, as Slack picks one connection per envelope. Types the bot
   * sees: `slash_commands` (payload = the slash command fields), `interactive` (payload = block_actions,
   * view_submission…), `events_api`. Returns the envelope_id.
   */
  push(type: string, payload: unknown, opts: PushOptions = {}): string {
    const socket = [...this.sockets].reverse().find((s) => s.readyState === 1);
    if (!socket) throw new Error('no Socket Mode connection is open');
    const envelope: Record<string, unknown> = {
      envelope_id: randomUUID(),
      type,
      payload,
      accepts_response_payload: opts.acceptsResponsePayload ?? type !== 'events_api',
    };
    if (type === 'events_api') {
      envelope.retry_attempt = opts.retryAttempt ?? 0;
      envelope.retry_reason = opts.retryReason ?? '';
    }
    socket.send(JSON.stringify(envelope));
    this.journal.record({ at: this.ws.now(), kind: 'socket', method: 'push', args: envelope, status: 200, response: null });
    return envelope.envelope_id as string;
  }

  /** Resolves with the client's ack of an envelope (its `payload` is what `ack(response)` sent). */
  async waitForAck(envelopeId: string, timeoutMs = 3000): Promise<SocketAck> {
    await this.journal.waitFor((e) => e.kind === 'socket' && e.method === 'ack' && e.args.envelope_id === envelopeId, timeoutMs);
    return this.acks.get(envelopeId)!;
  }

  /** Asks every client to reconnect, as Slack does before recycling a connection. */
  requestReconnect(reason = 'refresh_requested'): void {
    for (const s of this.sockets) {
      if (s.readyState === 1) s.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
    }
  }

  /**
   * Closes every connection with a close handshake (1001, going away), letting a client that is itself
   * disconnecting finish its handshake, and terminates whatever is left after `graceMs`.
   */
  async close(graceMs = 1000): Promise<void> {
    const pending = [...this.closed.values()];
    for (const s of this.sockets) if (s.readyState === 1) s.close(1001, 'going away');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const s of this.sockets) s.terminate();
    this.sockets.length = 0;
    this.wss.close();
  }
}
