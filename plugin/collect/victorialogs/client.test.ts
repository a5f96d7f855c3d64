// What the VictoriaLogs source sends, and answers a test server gives that a healthy VictoriaLogs rarely does (an
// error appended to a 200 once the answer has begun, lines of another shape). The source against a real VictoriaLogs
// is test/e2e/victorialogs-source.e2e.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestQueue } from '../request-queue.js';
import type { LogsRequest } from '../source.js';
import { collectError } from '../../../test/helpers/collect-error.js';
import { closeLocalServers, serveLocally } from '../../../test/helpers/local-server.js';
import { createVictoriaLogsSource } from './client.js';
import { victoriaLogsSettingsSchema } from './settings.js';

const serve = (answer: (form: URLSearchParams, request: IncomingMessage, response: ServerResponse) => void) =>
  serveLocally((request, body, response) => answer(new URLSearchParams(body), request, response));

afterEach(closeLocalServers);

const start = new Date('2026-01-01T00:00:00Z');
const request: LogsRequest = {
  query: 'app:="web"',
  group: { podTemplateHash: 'abc123', selectBy: 'podName', hashField: 'rollouts_pod_template_hash', instanceField: 'pod' },
  start,
  end: new Date(start.getTime() + 300_000),
  limit: 10,
};

function source(address: string, settings: Record<string, unknown> = {}) {
  return createVictoriaLogsSource(victoriaLogsSettingsSchema.parse({ address, ...settings }), { queue: new RequestQueue() });
}

function jsonLines(response: ServerResponse, text: string): void {
  response.writeHead(200, { 'content-type': 'application/stream+json' }).end(text);
}

describe('createVictoriaLogsSource', () => {
  it('posts the group query over the range moved a nanosecond later, with the tenant headers', async () => {
    const seen: { path?: string; form?: URLSearchParams; headers?: IncomingMessage['headers'] } = {};
    const address = await serve((form, incoming, response) => {
      Object.assign(seen, { path: incoming.url, form, headers: incoming.headers });
      jsonLines(response, '{"_time":"2026-01-01T00:01:00.000000001Z","_msg":"hello","pod":"web-abc123-x1","level":"info"}\n');
    });
    const fetched = await source(`${address}/vl`, { tenant: '42:7', timeout: '2500ms', levelField: 'severity' }).fetchLogs(request);
    expect(fetched).toEqual({ lines: [{ time: start.getTime() + 60_001, instance: 'web-abc123-x1', message: 'hello' }], total: 1, warnings: [] });
    expect(seen.path).toBe('/vl/select/logsql/query');
    expect([seen.headers?.accountid, seen.headers?.projectid]).toEqual(['42', '7']);
    expect(Object.fromEntries(seen.form!)).toEqual({
      query: '(app:="web"\n) "pod":~"^.+-abc123-[a-z0-9]+$" | fields "_time", "_msg", "pod", "severity"',
      end: '2026-01-01T00:05:00.000000001Z',
      limit: '10',
      start: '2026-01-01T00:00:00.000000001Z',
      timeout: '2.5s',
    });
  });

  it('fails on an error VictoriaLogs appends to an answer already begun, as a failure that may pass', async () => {
    const address = await serve((_form, _incoming, response) =>
      jsonLines(response, '{"_time":"2026-01-01T00:01:00Z","_msg":"x","pod":"web-abc123-x1"}\nthe request couldn\'t be executed in 30.000 seconds; possible solutions: to increase -search.maxQueryDuration=30s\n'),
    );
    const error = await collectError(source(address).fetchLogs(request));
    expect(error.transient).toBe(true);
    expect(error.message).toBe(
      `metric "logs": VictoriaLogs at ${address}: VictoriaLogs failed while answering: the request couldn't be executed in 30.000 seconds; possible solutions: to increase -search.maxQueryDuration=30s (query app:="web")`,
    );
  });

  it('refuses lines of another shape, without repeating them', async () => {
    let text = '["hunter2"]\n';
    const address = await serve((_form, _incoming, response) => jsonLines(response, text));
    expect((await collectError(source(address).fetchLogs(request))).message).toContain('not a VictoriaLogs answer: a line is JSON but not an object of strings (11 bytes)');
    text = '{"_time":"yesterday","_msg":"x","pod":"p"}\n';
    expect((await collectError(source(address).fetchLogs(request))).message).toContain(`a line's _time is "yesterday", not RFC 3339 in UTC`);
    text = '{"_time":"2026-01-01T00:01:00Z","_msg":"x"}\n';
    expect((await collectError(source(address).fetchLogs(request))).message).toContain('a line has no "pod" field: set logs.instanceField to the field naming the pod');
    text = Array.from({ length: 11 }, () => '{"_time":"2026-01-01T00:01:00Z","_msg":"x","pod":"p"}\n').join('');
    expect((await collectError(source(address).fetchLogs(request))).message).toContain('VictoriaLogs answered 11 lines to a query for at most 10');
  });

  it('counts the lines when the limit is reached, and refuses a count of another shape', async () => {
    const queries: string[] = [];
    let count = '{"lines":"42"}\n';
    const address = await serve((form, _incoming, response) => {
      queries.push(form.get('query')!);
      if (form.get('query')!.endsWith('count() as lines')) return jsonLines(response, count);
      jsonLines(response, Array.from({ length: 10 }, (_, k) => `{"_time":"2026-01-01T00:01:0${k}Z","_msg":"x","pod":"p"}\n`).join(''));
    });
    expect((await source(address).fetchLogs(request)).total).toBe(42);
    expect(queries[1]).toBe('(app:="web"\n) "pod":~"^.+-abc123-[a-z0-9]+$" | stats count() as lines');
    count = '{"lines":"many"}\n';
    expect((await collectError(source(address).fetchLogs(request))).message).toContain('VictoriaLogs did not answer the count of lines as one {"lines":"<n>"}');
  });

  it('refuses a query with pipes before asking anything', async () => {
    let asked = 0;
    const address = await serve((_form, _incoming, response) => {
      asked++;
      jsonLines(response, '');
    });
    const error = await collectError(source(address).fetchLogs({ ...request, query: 'app:="web" | stats count()' }));
    expect(error.message).toContain('the logs query: expected a LogsQL filter without pipes');
    expect(asked).toBe(0);
  });
});
