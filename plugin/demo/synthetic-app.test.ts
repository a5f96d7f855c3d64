import { afterEach, describe, expect, it } from 'vitest';
import { type SyntheticApp, startSyntheticApp } from './synthetic-app.js';

let app: SyntheticApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${app!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function exposition(): Promise<string> {
  return (await fetch(`${app!.url}/metrics`)).text();
}

/** Value of each sample in the exposition whose line starts with the given metric name and contains all parts. */
function samples(text: string, name: string, ...parts: string[]): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && parts.every((part) => line.includes(part)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('synthetic app', () => {
  it('registers a group of pods named and labelled like a ReplicaSet', async () => {
    app = await startSyntheticApp({ seed: 7 });
    const created = await call('POST', '/groups', { hash: 'c0ffee1', pods: 3, rps: 20, errorRate: 0.01, latencyMs: 50 });
    expect(created.status).toBe(200);
    expect(created.body.pods).toHaveLength(3);
    for (const pod of created.body.pods) expect(pod).toMatch(/^demo-c0ffee1-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(new Set(created.body.pods).size).toBe(3);

    const listed = await call('GET', '/groups');
    expect(listed.body.groups).toEqual([{ hash: 'c0ffee1', pods: created.body.pods, rps: 20, errorRate: 0.01, latencyMs: 50 }]);

    const pod = created.body.pods[0];
    const text = await exposition();
    expect(samples(text, 'http_requests_total', `pod="${pod}"`, 'rollouts_pod_template_hash="c0ffee1"', 'code="500"')).toEqual([0]);
    expect(samples(text, 'http_request_duration_seconds_bucket', `pod="${pod}"`, 'le="0.005"')).toHaveLength(1);
  });

  it("serves each pod's own exposition, as the pod would, without the labels a scrape adds", async () => {
    app = await startSyntheticApp({ seed: 8, tickMs: 20 });
    const created = await call('POST', '/groups', { hash: 'c0ffee1', pods: 2, rps: 500 });
    const [pod, other] = created.body.pods as string[];
    await sleep(200);
    const own = await (await fetch(`${app.url}/pods/${pod}/metrics`)).text();
    expect(own).toContain('# TYPE http_requests_total counter');
    expect(own).not.toMatch(/pod=|rollouts_pod_template_hash=/);
    const shared = await exposition();
    // One pod's series only: its requests, not the other pod's.
    const served = samples(own, 'http_requests_total', 'code="200"');
    expect(served).toHaveLength(1);
    expect(served[0]).toBeGreaterThan(0);
    expect(served[0]).toBeLessThanOrEqual(samples(shared, 'http_requests_total', `pod="${pod}"`, 'code="200"')[0]!);
    expect(samples(own, 'http_request_duration_seconds_bucket', 'le="+Inf"')).toHaveLength(1);
    expect(other).toBeDefined();
    expect((await fetch(`${app.url}/pods/nosuchpod/metrics`)).status).toBe(404);
  });

  it('advances counters and histograms with the configured rate, error rate and latency', async () => {
    app = await startSyntheticApp({ seed: 42, tickMs: 20 });
    await call('POST', '/groups', { hash: 'aaa', pods: 2, rps: 2000, errorRate: 0.2, latencyMs: 40 });
    await sleep(1_000);
    // One scrape for every figure: the counters keep moving between scrapes.
    const text = await exposition();
    const ok = sum(samples(text, 'http_requests_total', 'hash="aaa"', 'code="200"'));
    const errors = sum(samples(text, 'http_requests_total', 'hash="aaa"', 'code="500"'));
    const total = ok + errors;
    expect(total).toBeGreaterThan(2 * 2000 * 0.6);
    expect(total).toBeLessThan(2 * 2000 * 1.4);
    expect(errors / total).toBeGreaterThan(0.15);
    expect(errors / total).toBeLessThan(0.25);
    const count = sum(samples(text, 'http_request_duration_seconds_count', 'hash="aaa"'));
    const under75ms = sum(samples(text, 'http_request_duration_seconds_bucket', 'hash="aaa"', 'le="0.075"'));
    const under25ms = sum(samples(text, 'http_request_duration_seconds_bucket', 'hash="aaa"', 'le="0.025"'));
    expect(count).toBe(total);
    expect(under75ms / count).toBeGreaterThan(0.9); // median 40 ms, sigma 0.3: ~98% below 75 ms
    expect(under25ms / count).toBeLessThan(0.1); // ~6% below 25 ms
  });

  it('injects a regression with PATCH', async () => {
    app = await startSyntheticApp({ seed: 3, tickMs: 20 });
    await call('POST', '/groups', { hash: 'bbb', pods: 1, rps: 1000, errorRate: 0 });
    const patched = await call('PATCH', '/groups/bbb', { errorRate: 0.5 });
    expect(patched.body).toMatchObject({ hash: 'bbb', errorRate: 0.5, rps: 1000, latencyMs: 50 });
    await sleep(500);
    const text = await exposition();
    const ok = sum(samples(text, 'http_requests_total', 'hash="bbb"', 'code="200"'));
    const errors = sum(samples(text, 'http_requests_total', 'hash="bbb"', 'code="500"'));
    expect(errors / (ok + errors)).toBeGreaterThan(0.4);
  });

  it('leaves a group without traffic at zero', async () => {
    app = await startSyntheticApp({ tickMs: 20 });
    await call('POST', '/groups', { hash: 'idle', pods: 1, rps: 0 });
    await sleep(200);
    expect(sum(samples(await exposition(), 'http_requests_total', 'hash="idle"'))).toBe(0);
  });

  it('registers a group under the pod names it is given, e.g. those of a real ReplicaSet', async () => {
    app = await startSyntheticApp({ seed: 3 });
    const podNames = ['checkout-5d8f7c9b4-x2k9p', 'checkout-5d8f7c9b4-q7w4z'];
    const created = await call('POST', '/groups', { hash: '5d8f7c9b4', podNames, errorRate: 0.02 });
    expect(created).toMatchObject({ status: 200, body: { hash: '5d8f7c9b4', pods: podNames, rps: 20, errorRate: 0.02, latencyMs: 50 } });
    expect(await call('POST', '/groups', { hash: 'ddd', pods: 1, podNames: ['a-1'] })).toMatchObject({ status: 200, body: { pods: ['a-1'] } });
    const text = await exposition();
    for (const pod of podNames) {
      expect(samples(text, 'http_requests_total', `pod="${pod}"`, 'rollouts_pod_template_hash="5d8f7c9b4"', 'code="200"')).toHaveLength(1);
    }
    expect(await call('POST', '/groups', { hash: 'eee' })).toMatchObject({ status: 400, body: { error: expect.stringContaining('pods: give pods (a count) or podNames') } });
    expect(await call('POST', '/groups', { hash: 'eee', pods: 2, podNames: ['a-1'] })).toMatchObject({ status: 400, body: { error: expect.stringContaining('podNames has 1 names') } });
    expect(await call('POST', '/groups', { hash: 'eee', podNames: ['a-1', 'a-1'] })).toMatchObject({ status: 400, body: { error: expect.stringContaining('must not repeat') } });
    expect(await call('POST', '/groups', { hash: 'eee', podNames: ['Not_A_Pod'] })).toMatchObject({ status: 400, body: { error: expect.stringContaining('podNames.0: must be a Kubernetes pod name') } });
  });

  it('answers bad requests with clear errors', async () => {
    app = await startSyntheticApp();
    expect(await call('POST', '/groups', '{"hash":')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^body is not valid JSON/) } });
    expect(await call('POST', '/groups', { hash: 'Bad-Hash', pods: 0 })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/hash: must be 1 to 16 lowercase.*pods: /) },
    });
    expect(await call('POST', '/groups', { hash: 'ccc', pods: 1, color: 'red' })).toMatchObject({ status: 400 });
    await call('POST', '/groups', { hash: 'ccc', pods: 1 });
    expect(await call('POST', '/groups', { hash: 'ccc', pods: 1 })).toMatchObject({ status: 409 });
    expect(await call('PATCH', '/groups/ccc', { errorRate: 2 })).toMatchObject({ status: 400, body: { error: expect.stringContaining('errorRate') } });
    expect(await call('PATCH', '/groups/ccc', { pods: 4 })).toMatchObject({ status: 400 });
    expect(await call('PATCH', '/groups/nope', { errorRate: 0.1 })).toMatchObject({ status: 404 });
    expect(await call('DELETE', '/groups')).toMatchObject({ status: 405 });
    expect(await call('GET', '/elsewhere')).toMatchObject({ status: 404 });
  });
});
