import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeTools, measureThroughBridge } from './plugin-host.js';

// Stand-ins for plugin-host: shell scripts that answer the way it does (progress on stderr, result last on stdout).
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-plugin-host-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function fakePluginHost(name: string, script: string): Promise<BridgeTools> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return { bridge: '/opt/bridge', pluginHost: path, cleanup: async () => {} };
}

const request = { engineAddress: '127.0.0.1:7070', analysisRun: { metadata: { name: 'ar' } }, metric: { name: 'verify' } };

describe('measureThroughBridge', () => {
  it('passes the bridge, engine address and objects, and returns the last stdout line as the Measurement', async () => {
    const tools = await fakePluginHost(
      'ok',
      [
        `printf '%s\\n' "$@" > ${join(dir, 'argv')}`,
        'while [ $# -gt 0 ]; do case "$1" in --metric) cp "$2" ' + join(dir, 'metric.json') + ';; esac; shift; done',
        `echo '{"method":"Run"}' >&2`,
        `echo 'noise'`,
        `echo '{"phase":"Successful","value":"{\\"verdict\\":\\"Healthy\\"}"}'`,
      ].join('\n'),
    );
    const progress: string[] = [];
    const measurement = await measureThroughBridge({ tools, ...request, onProgress: (line) => progress.push(line) });
    expect(measurement).toEqual({ phase: 'Successful', value: '{"verdict":"Healthy"}' });
    expect(progress).toEqual(['{"method":"Run"}']);
    const argv = (await readFile(join(dir, 'argv'), 'utf8')).trim().split('\n');
    expect(argv.slice(0, 5)).toEqual(['metric', '--bridge', '/opt/bridge', '--args', '--engine-address 127.0.0.1:7070']);
    expect(JSON.parse(await readFile(join(dir, 'metric.json'), 'utf8'))).toEqual({ name: 'verify' });
  });

  it('fails with the stderr tail when plugin-host fails', async () => {
    const tools = await fakePluginHost('fails', `echo 'cannot load plugin: handshake failed' >&2\nexit 1`);
    await expect(measureThroughBridge({ tools, ...request })).rejects.toThrow(/exit code 1[\s\S]*handshake failed/);
  });

  it('fails when the last line is not a Measurement', async () => {
    const tools = await fakePluginHost('garbled', `echo 'done'`);
    await expect(measureThroughBridge({ tools, ...request })).rejects.toThrow('did not end with a Measurement as JSON; its last line was "done"');
  });

  it('stops plugin-host when aborted', async () => {
    const tools = await fakePluginHost('slow', 'exec sleep 30');
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 100);
    await expect(measureThroughBridge({ tools, ...request, signal: abort.signal })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
