// What `rollouts-cv check` and `rollouts-cv verify` start from: the verifications in a file (template args filled
// in) and the pods to compare, given as hashes or read from a Rollout in the cluster.
import { readFile } from 'node:fs/promises';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { ROLLOUTS, type Rollout } from '../../shared/kube/rollout-types.js';
import type { Groups } from './check.js';
import { findVerifications, type Found } from './targets.js';

/** Where the verifications are, and which pods they compare. */
export interface TargetOptions {
  file: string;
  /** name=value template args. */
  args: string[];
  canaryHash?: string;
  stableHash?: string;
  rollout?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
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

async function groupsFor(options: TargetOptions): Promise<Groups> {
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

/** The verifications of the file and the pods to compare; throws UsageError for what the user typed wrong. */
export async function readTargets(options: TargetOptions): Promise<{ found: Found; groups: Groups }> {
  const args = parseArgs(options.args);
  const text = await readFile(options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${options.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  return { found: findVerifications(text, args), groups: await groupsFor(options) };
}
