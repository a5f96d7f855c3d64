// The rollouts-cv command as a process: compiled like the package's bin, started by path, driven by signals and
// stdin as an operator or a parent test would.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine, healthStatus } from '../helpers/engine-client.js';

const root = join(import.meta.dirname, '..', '..');
// Inside the package so that the compiled modules find proto/ at the package root, as dist/ does.
const outDir = join(root, '.cache', 'cli-test');
const cli = join(outDir, 'cli', 'main.js');
const run = promisify(execFile);

beforeAll(async () => {
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir]);
}, 120_000);

afterAll(() => rm(outDir, { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcessWithoutNullStreams; lines: AsyncIterator<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), exit };
}

async function firstJsonLine(lines: AsyncIterator<string>): Promise<Record<string, unknown>> {
  const { value, done } = await lines.next();
  if (done) throw new Error('the process ended without output');
  return JSON.parse(value) as Record<string, unknown>;
}

describe('rollouts-cv', () => {
  it.each([
    [['nonsense'], /unknown command 'nonsense'/],
    [['engine', '--listen'], /argument missing/],
    [['engine', '--tls-key', 'k.pem'], /--tls-cert and --tls-key go together/],
    [['engine', '--shutdown-grace', 'soon'], /expected a duration/],
    [['engine', '--approval-namespaces', 'shop,Kube_System'], /expected namespace names separated by commas.*"Kube_System"/],
    [['engine', '--source-concurrency', '0'], /expected a whole number of at least 1/],
    [['sandbox', '--prometheus-port', '-1'], /expected a port number/],
    [['sandbox', '--scrape-interval', '1.5s'], /expected whole seconds/],
    [['pipelines', '--commit-author', 'release-bot'], /expected "Name <email>"/],
    [['pipelines', '--listen', 'nowhere'], /must be host:port/],
    [['pipelines', '--lease-duration', '1.5s'], /expected whole seconds/],
    [['check'], /missing required argument 'file'/],
    [['check', 'docs/examples/analysistemplate.yaml'], /give --rollout <name> \(read from the cluster\) or --stable-hash/],
    [['check', 'docs/examples/analysistemplate.yaml', '--stable-hash', 'a', '--window', 'soon'], /expected a duration/],
    [['engine', '--report-url', 'http://localhost:8082'], /--report-url, --report-base-path and --report-rollouts-dashboard need --report-listen/],
    [['engine', '--report-listen', '127.0.0.1:0', '--report-url', 'https://user:pw@cv.example.com'], /may not carry credentials, a query or a fragment/],
    [['engine', '--report-listen', '127.0.0.1:0', '--report-base-path', 'x/../y'], /expected a path such as "\/rollouts-cv"/],
    [['engine', '--report-listen', '127.0.0.1:0', '--report-rollouts-dashboard', 'javascript:alert(1)'], /expected an http or https URL/],
    [['report'], /missing required argument 'link'/],
    [['report', 'http://localhost:8082/metrics'], /names no report \(it has no \/reports\/ part\)/],
    [['report', '/reports/shop/web/verify', '--rollouts-dashboard', 'https://x:y@argo.example.com'], /may not carry credentials/],
    [['verify', 'docs/examples/analysistemplate.yaml', '--stable-hash', 'a'], /there is no canary to verify/],
    [['verify', 'docs/examples/analysistemplate.yaml', '--canary-hash', 'b', '--stable-hash', 'a', '--start', 'yesterday'], /expected an RFC 3339 time/],
    [['verify', 'docs/examples/analysistemplate.yaml', '--canary-hash', 'b', '--stable-hash', 'a', '--end', '2999-01-01T00:00:00Z'], /the window ends at 2999-01-01T00:00:00.000Z, which has not come yet/],
    [['verify', 'docs/examples/rollout.yaml', '--canary-hash', 'b', '--stable-hash', 'a', '--only', 'nothing'], /no verification's name contains "nothing"; found: Rollout checkout, step 7 \(verify gate\)/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const failure = await run(process.execPath, [cli, ...args]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(message);
  });

  it('engine: logs where it listens, serves health, exits 0 on SIGTERM', async () => {
    const { child, lines, exit } = start(['engine', '--listen', '127.0.0.1:0', '--shutdown-grace', '2s']);
    const listening = await firstJsonLine(lines);
    expect(listening).toMatchObject({ msg: 'engine listening', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const client = connectEngine(listening.address as string);
    expect(await healthStatus(client, '')).toBe('SERVING');
    client.close();
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('sandbox: prints both URLs, serves them, and stops everything when stdin closes', async () => {
    const { child, lines, exit } = start(['sandbox']);
    const urls = await firstJsonLine(lines);
    expect(Object.keys(urls).sort()).toEqual(['app', 'prometheus']);
    expect((await fetch(`${urls.prometheus}/-/ready`)).status).toBe(200);
    expect((await fetch(`${urls.app}/groups`)).status).toBe(200);
    child.stdin.end();
    expect(await exit).toBe(0);
    await expect(fetch(`${urls.prometheus}/-/ready`)).rejects.toThrow();
  }, 60_000);
});
