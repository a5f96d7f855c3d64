// Drain3 (logpai/Drain3, the maintained Python Drain) side by side with our miner: a virtual environment the bench
// makes once in the user's cache folder (never in the repository), drain3 from PyPI at a pinned version, and one
// Python process that clusters each dataset with its own TemplateMiner at drain3's default configuration
// (TemplateMinerConfig(): depth 4, similarity 0.4, max children 100, no masking instructions, numeric tokens as
// parameters), the same lines as ours and, like ours, no per-dataset settings.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DRAIN3_VERSION = '0.9.11';

/** ${XDG_CACHE_HOME:-~/.cache}/rollouts-cv/bench-venv */
export function venvDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rollouts-cv', 'bench-venv');
}

const python = (venv: string) => join(venv, 'bin', 'python');

async function installedVersion(venv: string): Promise<string | null> {
  if (!existsSync(python(venv))) return null;
  try {
    const { stdout } = await run(python(venv), ['-c', 'import importlib.metadata as m; print(m.version("drain3"))']);
    return stdout.trim();
  } catch {
    return null;
  }
}

/** The venv's python with drain3 DRAIN3_VERSION, made or updated when needed; throws saying what failed. */
export async function ensureDrain3(venv = venvDir()): Promise<string> {
  if ((await installedVersion(venv)) === DRAIN3_VERSION) return python(venv);
  try {
    await mkdir(join(venv, '..'), { recursive: true });
    if (!existsSync(python(venv))) await run('python3', ['-m', 'venv', venv]);
    await run(python(venv), ['-m', 'pip', 'install', '--quiet', `drain3==${DRAIN3_VERSION}`], { maxBuffer: 1 << 24 });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(`drain3: could not install drain3==${DRAIN3_VERSION} into ${venv} (needs python3 with venv and PyPI): ${detail}`);
  }
  const version = await installedVersion(venv);
  if (version !== DRAIN3_VERSION) throw new Error(`drain3: ${venv} has drain3 ${version ?? 'missing'} after installing ${DRAIN3_VERSION}`);
  return python(venv);
}

// Reads {"name": [line, ...], ...} on stdin, writes {"name": [cluster id, ...], ...}: each dataset from a fresh miner.
const SCRIPT = `
import json, logging, sys
logging.disable(logging.CRITICAL)
from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig
datasets = json.load(sys.stdin)
out = {}
for name, lines in datasets.items():
    miner = TemplateMiner(config=TemplateMinerConfig())
    out[name] = [miner.add_log_message(line)["cluster_id"] for line in lines]
json.dump(out, sys.stdout)
`;

/** Drain3's cluster of each line of each dataset, as strings. */
export async function clusterWithDrain3(pythonPath: string, datasets: Readonly<Record<string, readonly string[]>>): Promise<Record<string, string[]>> {
  const child = spawn(pythonPath, ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  child.stdin.end(JSON.stringify(datasets));
  const code = await exited;
  if (code !== 0) throw new Error(`drain3: the Python process exited with ${code}: ${stderr.trim().slice(-2000)}`);
  const result = JSON.parse(stdout) as Record<string, number[]>;
  return Object.fromEntries(
    Object.entries(datasets).map(([name, lines]) => {
      const ids = result[name];
      if (ids?.length !== lines.length) throw new Error(`drain3: ${name}: ${ids?.length ?? 0} clusters for ${lines.length} lines`);
      return [name, ids.map(String)];
    }),
  );
}
