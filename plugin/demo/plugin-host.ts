// Runs the rollouts-cv bridge the way the Argo Rollouts controller does, through plugin/bridge's plugin-host
// (which uses the controller's own plugin client code), and returns the Measurement it ends with.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Measurement } from '../verify/types.js';
import { findPackageFile, packageFile } from '../../shared/package-files.js';

const GO_ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
const STDERR_TAIL_LINES = 20;

export interface BridgeTools {
  bridge: string;
  pluginHost: string;
  /** Removes what was built for this run. */
  cleanup(): Promise<void>;
}

/** The built bridge and a plugin-host binary: prebuilt under dist/bridge/, or compiled now with `go build`. */
export async function prepareBridgeTools(signal?: AbortSignal): Promise<BridgeTools> {
  const bridgeName = `dist/bridge/rollouts-cv-bridge-linux-${GO_ARCH[process.arch] ?? process.arch}`;
  const bridge = findPackageFile(import.meta.url, bridgeName);
  if (!bridge) throw new Error(`the bridge binary ${bridgeName} is missing: build it with \`npm run build:bridge\``);

  const prebuilt = findPackageFile(import.meta.url, 'dist/bridge/plugin-host');
  if (prebuilt) return { bridge, pluginHost: prebuilt, cleanup: async () => {} };

  const moduleDir = dirname(packageFile(import.meta.url, 'plugin/bridge/go.mod'));
  const dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-plugin-host-'));
  const pluginHost = join(dir, 'plugin-host');
  try {
    await runToCompletion('go', ['build', '-o', pluginHost, './cmd/plugin-host'], moduleDir, signal);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot build plugin-host in ${moduleDir}: ${(error as Error).message}`);
  }
  return { bridge, pluginHost, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface MetricThroughBridge {
  tools: BridgeTools;
  engineAddress: string;
  analysisRun: unknown;
  metric: unknown;
  /** Each line plugin-host reports on stderr while the measurement runs. */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** Drives one measurement to its end through the bridge; resolves with the final Measurement. */
export async function measureThroughBridge(options: MetricThroughBridge): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-measure-'));
  try {
    const analysisRunFile = join(dir, 'analysisrun.json');
    const metricFile = join(dir, 'metric.json');
    await writeFile(analysisRunFile, JSON.stringify(options.analysisRun));
    await writeFile(metricFile, JSON.stringify(options.metric));
    const args = [
      'metric',
      '--bridge',
      options.tools.bridge,
      '--args',
      `--engine-address ${options.engineAddress}`,
      '--analysis-run',
      analysisRunFile,
      '--metric',
      metricFile,
    ];
    const stdout = await runToCompletion(options.tools.pluginHost, args, dir, options.signal, options.onProgress);
    const last = stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as Measurement;
    } catch {
      throw new Error(`plugin-host did not end with a Measurement as JSON; its last line was ${JSON.stringify(last)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a program to its end; resolves with its stdout, rejects with its stderr tail if it fails. */
function runToCompletion(command: string, args: string[], cwd: string, signal?: AbortSignal, onStderrLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    let partial = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        onStderrLine?.(line);
        tail.push(line);
      }
      tail.splice(0, Math.max(0, tail.length - STDERR_TAIL_LINES));
    });
    child.once('error', (error) => reject(error.name === 'AbortError' ? error : new Error(`cannot run ${command}: ${error.message}`)));
    child.once('close', (code, exitSignal) => {
      if (partial) tail.push(partial);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args[0] ?? ''} failed (${exitSignal ?? `exit code ${code}`}):\n${tail.join('\n')}`));
    });
  });
}
