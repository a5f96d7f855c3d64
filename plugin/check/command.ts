// `rollouts-cv check` as a command: the file, the pods to compare (given, or the Rollout's from the cluster), the
// live source; exit 0 when every source answers and every metric has enough data to judge, 1 when not, 2 on a
// usage error.
import { readFile } from 'node:fs/promises';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import { createHealthSource } from '../collect/registry.js';
import { wholeSeconds } from '../verify/measurement.js';
import { checkVerification, type Groups } from './check.js';
import { checkSources } from './health.js';
import { formatReport } from './report.js';
import { findVerifications } from './targets.js';

export interface CheckOptions {
  file: string;
  /** name=value template args. */
  args: string[];
  canaryHash?: string;
  stableHash?: string;
  rollout?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  windowMs: number;
  json: boolean;
  credentialsDir?: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

function parseArgs(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new UsageError(`--arg ${JSON.stringify(pair)}: expected name=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The Rollout's stable and canary hashes; no canary while none is in progress. */
function groupsOfRollout(rollout: Rollout): Groups {
  const stable = rollout.status?.stableRS;
  const current = rollout.status?.currentPodHash;
  if (!stable) throw new UsageError(`Rollout ${rollout.metadata.namespace}/${rollout.metadata.name} has no status.stableRS yet; give --stable-hash`);
  return current && current !== stable ? { canary: current, stable } : { stable };
}

async function groupsFor(options: CheckOptions): Promise<Groups> {
  if (options.stableHash) {
    if (options.rollout) throw new UsageError('give either --rollout or --canary-hash/--stable-hash, not both');
    return options.canaryHash && options.canaryHash !== options.stableHash ? { canary: options.canaryHash, stable: options.stableHash } : { stable: options.stableHash };
  }
  if (!options.rollout) throw new UsageError('give --rollout <name> (read from the cluster) or --stable-hash (and --canary-hash)');
  if (options.canaryHash) throw new UsageError('--canary-hash goes with --stable-hash');
  const kc = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context });
  const namespace = options.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const api = kc.makeApiClient(CustomObjectsApi);
  const rollout = (await api.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name: options.rollout }).catch((error: unknown) => {
    throw new Error(`cannot read Rollout ${namespace}/${options.rollout}: ${(error as Error).message}`);
  })) as Rollout;
  return groupsOfRollout(rollout);
}

/** Runs the check; resolves with the exit code. */
export async function runCheckCommand(options: CheckOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let found;
  let groups: Groups;
  try {
    const args = parseArgs(options.args);
    const text = await readFile(options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ${options.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    found = findVerifications(text, args);
    groups = await groupsFor(options);
  } catch (error) {
    err.write(`rollouts-cv check: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
  const end = wholeSeconds(new Date());
  const sourceOptions = { credentialsDir: options.credentialsDir };
  const checks = await Promise.all(
    found.verifications.map(async (verification) => {
      // Before the queries: a source that cannot be reached, or refuses the credentials, is told as such first.
      const sources = await checkSources(verification.settings, sourceOptions);
      const check = await checkVerification(verification, groups, end, options.windowMs, createHealthSource(verification.settings.source, sourceOptions));
      return { ...check, sources };
    }),
  );
  const report = formatReport(checks, found.problems);
  out.write(options.json ? `${JSON.stringify({ ok: report.ok, groups, verifications: checks, problems: found.problems })}\n` : report.text);
  return report.ok ? 0 : 1;
}
