// The fake NerdGraph checks what New Relic checks and answers in its shapes, so that a client bug fails a test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNewRelic } from './server.js';

const DOCUMENT = 'query($accountId: Int!, $nrql: Nrql!, $timeout: Seconds) { actor { account(id: $accountId) { nrql(query: $nrql, timeout: $timeout) { results metadata { facets messages } } } } }';
const T0 = Date.UTC(2026, 0, 1);

let fake: FakeNewRelic;

beforeAll(async () => {
  fake = await FakeNewRelic.start({
    maxConcurrent: 2,
    events: [
      { eventType: 'Transaction', timestamp: T0 + 5_000, attributes: { pod: 'web-a1-x', duration: 1 } },
      { eventType: 'Transaction', timestamp: T0 + 15_000, attributes: { pod: 'web-a1-x', duration: 3 } },
      { eventType: 'Transaction', timestamp: T0 + 25_000, attributes: { pod: 'web-b2-y', duration: 5 } },
    ],
  });
});

afterAll(() => fake.close());

async function post(body: unknown, apiKey = fake.apiKey): Promise<{ status: number; body: any }> {
  const response = await fetch(fake.url, { method: 'POST', headers: { 'content-type': 'application/json', 'API-Key': apiKey }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const nrql = (query: string, variables: Record<string, unknown> = {}) => post({ query: DOCUMENT, variables: { accountId: fake.accountId, nrql: query, timeout: 10, ...variables } });

describe('the fake NerdGraph', () => {
  it('refuses a missing or wrong User key with 401', async () => {
    const answer = await post({ query: DOCUMENT, variables: {} }, 'NRAK-NOPE');
    expect(answer).toEqual({ status: 401, body: { errors: [{ message: 'Invalid API key', extensions: { errorClass: 'UNAUTHORIZED', error_code: 'BAD_API_KEY' } }] } });
  });

  it('takes the NRQL only as a declared variable of its type', async () => {
    const inline = await post({ query: '{ actor { account(id: 1234567) { nrql(query: "SELECT count(*) FROM Transaction") { results } } } }' });
    expect(inline.body.errors[0].message).toContain('taking their values from variables');
    expect((await nrql('SELECT count(*) FROM Transaction', { accountId: '1234567' })).body.errors[0].message).toBe('Variable $accountId got an invalid value "1234567"');
    expect((await nrql('SELECT count(*) FROM Transaction', { timeout: 300 })).body.errors[0].message).toBe('Variable $timeout got an invalid value 300');
    const undeclared = await post({ query: DOCUMENT.replace('$nrql: Nrql!', '$nrql: String!'), variables: { accountId: fake.accountId, nrql: 'x' } });
    expect(undeclared.body.errors[0].message).toBe('Variable $nrql must be declared as Nrql!');
  });

  it('answers another account with a FORBIDDEN error', async () => {
    const answer = await nrql('SELECT count(*) FROM Transaction', { accountId: 1 });
    expect(answer.body).toEqual({ data: { actor: { account: null } }, errors: [{ message: 'Access denied', path: ['actor', 'account'], extensions: { errorClass: 'FORBIDDEN' } }] });
  });

  it("answers an account's name, the account taken only as a declared Int variable, and another account with FORBIDDEN", async () => {
    const ACCOUNT = 'query($accountId: Int!) { actor { account(id: $accountId) { name } } }';
    expect(await post({ query: ACCOUNT, variables: { accountId: fake.accountId } })).toEqual({ status: 200, body: { data: { actor: { account: { name: fake.accountName } } } } });
    expect((await post({ query: ACCOUNT, variables: { accountId: 1 } })).body).toEqual({ data: { actor: { account: null } }, errors: [{ message: 'Access denied', path: ['actor', 'account'], extensions: { errorClass: 'FORBIDDEN' } }] });
    expect((await post({ query: ACCOUNT, variables: { accountId: String(fake.accountId) } })).body.errors[0].message).toBe(`Variable $accountId got an invalid value "${fake.accountId}"`);
    expect((await post({ query: ACCOUNT.replace('Int!', 'String!'), variables: { accountId: fake.accountId } })).body.errors[0].message).toBe('Variable $accountId must be declared as Int!');
    expect((await post({ query: `{ actor { account(id: ${fake.accountId}) { name } } }` })).body.errors[0].extensions.errorClass).toBe('INVALID_INPUT');
    expect((await post({ query: ACCOUNT, variables: { accountId: fake.accountId } }, 'NRAK-NOPE')).status).toBe(401);
  });

  it('answers a TIMESERIES FACET query one row per facet and bucket, the buckets ending at UNTIL', async () => {
    const answer = await nrql(`SELECT average(duration) FROM Transaction WHERE pod RLIKE '.+-(?:a1|b2)-[a-z0-9]+' FACET pod LIMIT MAX SINCE ${T0 - 1000} UNTIL ${T0 + 20_000} TIMESERIES 10 SECONDS`);
    expect(answer.status).toBe(200);
    expect(answer.body.data.actor.account.nrql).toEqual({
      results: [
        { beginTimeSeconds: T0 / 1000, endTimeSeconds: T0 / 1000 + 10, facet: 'web-a1-x', pod: 'web-a1-x', 'average.duration': 1 },
        { beginTimeSeconds: T0 / 1000 + 10, endTimeSeconds: T0 / 1000 + 20, facet: 'web-a1-x', pod: 'web-a1-x', 'average.duration': 3 },
      ],
      metadata: { facets: ['pod'], messages: [] },
    });
  });

  it('answers an NRQL error with HTTP 200 and an errors array', async () => {
    const answer = await nrql("SELECT count(*) FROM Transaction WHERE pod = 'x");
    expect(answer).toEqual({
      status: 200,
      body: { data: { actor: { account: { nrql: null } } }, errors: [{ message: 'NRQL Syntax Error: Error at line 1 position 46, unterminated string', path: ['actor', 'account', 'nrql'], extensions: { errorClass: 'INVALID_INPUT' } }] },
    });
  });

  it("holds New Relic's limits: LIMIT 5,000, 366 buckets, 4 KB", async () => {
    expect((await nrql('SELECT count(*) FROM Transaction FACET pod LIMIT 5001')).body.errors[0].message).toBe('Invalid LIMIT 5001: the maximum is 5000');
    expect((await nrql(`SELECT count(*) FROM Transaction FACET pod SINCE 0 UNTIL ${367_000} TIMESERIES 1 SECONDS`)).body.errors[0].message).toBe('TIMESERIES would answer 367 buckets; the maximum is 366');
    expect((await nrql(`SELECT count(*) FROM Transaction WHERE pod IN (${"'x', ".repeat(900)}'y')`)).body.errors[0].message).toBe('NRQL query too long: the maximum is 4 KB');
  });

  it('answers 429 above the requests in flight it allows', async () => {
    const slow = await FakeNewRelic.start({ maxConcurrent: 2, latencyMs: 200 });
    try {
      const body = { query: DOCUMENT, variables: { accountId: slow.accountId, nrql: 'SELECT count(*) FROM Transaction', timeout: 10 } };
      const send = () => fetch(slow.url, { method: 'POST', headers: { 'content-type': 'application/json', 'API-Key': slow.apiKey }, body: JSON.stringify(body) }).then((r) => r.status);
      expect((await Promise.all([send(), send(), send()])).sort()).toEqual([200, 200, 429]);
    } finally {
      await slow.close();
    }
  });
});
