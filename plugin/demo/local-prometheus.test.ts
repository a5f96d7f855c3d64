import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPrometheus } from './local-prometheus.js';

// A target whose exposition sets `instance` itself: honor_labels must keep it.
let target: Server;
let targetHost: string;
let ownTmp: string;
const sharedTmp = process.env.TMPDIR;
beforeAll(async () => {
  ownTmp = await mkdtemp(join(tmpdir(), 'rollouts-cv-local-prometheus-test-'));
  process.env.TMPDIR = ownTmp; // os.tmpdir() follows TMPDIR; this worker's env is its own
  target = createServer((_request, response) => response.end('demo_up{instance="pod-a"} 1\n'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetHost = `127.0.0.1:${(target.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => target.close(resolve));
  if (sharedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = sharedTmp;
  await rm(ownTmp, { recursive: true, force: true });
});

async function query(url: string, promql: string): Promise<Array<{ metric: Record<string, string> }>> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return ((await response.json()) as { data: { result: Array<{ metric: Record<string, string> }> } }).data.result;
}

describe('local Prometheus', () => {
  it('scrapes its targets every second keeping their labels, and stops without a trace', async () => {
    const prometheus = await startLocalPrometheus({ targets: [targetHost] });
    try {
      expect(prometheus.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      let result: Array<{ metric: Record<string, string> }> = [];
      for (let attempt = 0; attempt < 50 && result.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        result = await query(prometheus.url, 'demo_up');
      }
      expect(result[0]?.metric).toMatchObject({ __name__: 'demo_up', instance: 'pod-a', job: 'synthetic-app' });
    } finally {
      await prometheus.stop();
    }
    await expect(fetch(`${prometheus.url}/-/ready`)).rejects.toThrow();
  }, 30_000);

  it('reports why Prometheus exited, from its own log, and leaves no storage behind', async () => {
    await expect(startLocalPrometheus({ targets: ['http://not-a-host-port'] })).rejects.toThrow(
      /exited before it was ready[\s\S]*is not a valid hostname/,
    );
    expect(await storageDirs()).toEqual([]);
  }, 30_000);

  it('refuses a port that is already taken instead of talking to its owner', async () => {
    const port = Number(targetHost.split(':')[1]);
    await expect(startLocalPrometheus({ targets: [targetHost], port })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
  });

  it('removes its storage directory on stop', async () => {
    const prometheus = await startLocalPrometheus({ targets: [targetHost] });
    expect(await storageDirs()).toHaveLength(1);
    await prometheus.stop();
    expect(await storageDirs()).toEqual([]);
  }, 30_000);
});

/** Storage directories under this file's own TMPDIR (set below), so other suites running meanwhile do not count. */
async function storageDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('rollouts-cv-prometheus-'));
}
