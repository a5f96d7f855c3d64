// The bot's HTTP server. Slack requests go to Bolt's receiver (which checks the signature) only after their
// timestamp is within five minutes in either direction: Bolt itself refuses only old ones, and a timestamp from the
// future would let a captured request be replayed later. Health endpoints answer probes.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log.js';

export const SLACK_PATH = '/slack/events';
const TOLERANCE_S = 300;

export interface FrontOptions {
  slack?: RequestListener;
  ready: () => boolean;
  now?: () => number;
  log: Logger;
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${body}\n`);
}

/** Why a Slack request's timestamp is not acceptable, or undefined. */
export function timestampProblem(header: string | string[] | undefined, nowMs: number): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text || !/^\d{1,12}$/.test(text)) return 'missing or malformed X-Slack-Request-Timestamp';
  const skew = Number(text) - Math.floor(nowMs / 1000);
  if (skew > TOLERANCE_S) return `X-Slack-Request-Timestamp is ${skew} s in the future`;
  if (skew < -TOLERANCE_S) return `X-Slack-Request-Timestamp is ${-skew} s old`;
  return undefined;
}

export function createFront(options: FrontOptions): Server {
  const now = options.now ?? Date.now;
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return answer(res, 200, 'ok');
    if (req.method === 'GET' && path === '/readyz') return options.ready() ? answer(res, 200, 'ready') : answer(res, 503, 'not ready');
    if (path === SLACK_PATH && options.slack) {
      const problem = timestampProblem(req.headers['x-slack-request-timestamp'], now());
      if (problem) {
        options.log.warn({ problem, remote: req.socket.remoteAddress }, 'refused a Slack request');
        return answer(res, 401, `refused: ${problem}`);
      }
      return options.slack(req, res);
    }
    return answer(res, 404, 'not found');
  });
}
