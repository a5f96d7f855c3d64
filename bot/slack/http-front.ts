// The bot's HTTP server. Health endpoints answer probes. Slack requests reach Bolt's receiver only as Slack sends
// them: a POST whose timestamp is within five minutes in either direction (Bolt itself refuses only old ones, and a
// timestamp from the future would let a captured request be replayed later), whose signature verifies, and whose
// body is a Slack payload (an object). Whatever a request sends, and whatever the receiver throws, is answered and
// logged here: nothing ends the process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type BufferedIncomingMessage, HTTPModuleFunctions, defaultBodyLimit, isRawBodyError } from '@slack/bolt';
import type { Logger } from '../../shared/log.js';

export const SLACK_PATH = '/slack/events';
const TOLERANCE_S = 300;

export interface SlackEndpoint {
  signingSecret: string;
  /** Bolt's receiver, handed the request with its body already read and verified. */
  listener: (req: BufferedIncomingMessage, res: ServerResponse) => void;
}

export interface FrontOptions {
  slack?: SlackEndpoint;
  ready: () => boolean;
  now?: () => number;
  log: Logger;
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(`${body}\n`);
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

/** Whether Bolt's reading of the body is a payload it can dispatch (it reads fields of it without checking). */
function isPayload(req: BufferedIncomingMessage): boolean {
  try {
    const body: unknown = HTTPModuleFunctions.parseHTTPRequestBody(req);
    return typeof body === 'object' && body !== null && !Array.isArray(body);
  } catch {
    return false;
  }
}

export function createFront(options: FrontOptions): Server {
  const { log } = options;
  const now = options.now ?? Date.now;

  const slackRequest = async (slack: SlackEndpoint, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return answer(res, 405, 'method not allowed: Slack sends POST', { allow: 'POST' });
    const problem = timestampProblem(req.headers['x-slack-request-timestamp'], now());
    if (problem) {
      log.warn({ problem, remote: req.socket.remoteAddress }, 'refused a Slack request');
      return answer(res, 401, `refused: ${problem}`);
    }
    let verified: BufferedIncomingMessage;
    try {
      verified = await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ signingSecret: slack.signingSecret, bodyLimit: defaultBodyLimit }, req);
    } catch (error) {
      // The body may be partly unread: the connection cannot carry another request.
      if (isRawBodyError(error)) return answer(res, error.statusCode === 413 ? 413 : 400, `refused: ${error.message}`, { connection: 'close' });
      log.warn({ problem: (error as Error).message, remote: req.socket.remoteAddress }, 'refused a Slack request');
      return answer(res, 401, 'refused: the signature does not verify');
    }
    if (!isPayload(verified)) return answer(res, 400, 'refused: the body is not a Slack payload');
    slack.listener(verified, res);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return answer(res, 200, 'ok');
    if (req.method === 'GET' && path === '/readyz') return options.ready() ? answer(res, 200, 'ready') : answer(res, 503, 'not ready');
    if (path === SLACK_PATH && options.slack) return slackRequest(options.slack, req, res);
    return answer(res, 404, 'not found');
  };

  return createServer((req, res) => {
    // route is async, so a synchronous throw of the receiver arrives here as a rejection too.
    route(req, res).catch((error: unknown) => {
      log.error({ err: error, method: req.method, path: (req.url ?? '').split('?')[0] }, 'the request failed while being handled');
      if (res.headersSent) res.destroy();
      else answer(res, 500, 'internal error', { connection: 'close' });
    });
  });
}
