// The Rollout operations of `kubectl argo rollouts` v1.10.1, sending the same requests: merge patches of the
// Rollout or its `/status` subresource, set image's GET + PUT with retries on conflict, undo's JSON patch of the
// template — except that promote unpauses before its status patch and reads back what the controller did (see
// docs/slack.md, "Where the bot differs"). Each reads the Rollout first (to refuse what makes no sense and to
// describe what it did) and returns a one-line description for audit messages. Deployments and ReplicaSets go
// through the same unstructured client as the Rollout, so that no field unknown to this client is dropped on a PUT
// (kubectl uses its dynamic client).
import { ApiException, PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import {
  RolloutActionError,
  type RolloutErrorCode,
  parseImageAssignments,
  pickRevision,
  promotePatches,
  promotionOutcome,
  readyToPromote,
  refOf,
  refusal,
  restorableTemplate,
  selectorString,
  stepText,
  templateMatches,
  withImages,
} from './rollout-requests.js';
import { serverMessage } from './api-errors.js';
import { needsReplicaSets, summarizeRollout } from './rollout-status.js';
import { POD_TEMPLATE_HASH_LABEL, type PodTemplate, REPLICA_SETS, ROLLOUTS, type ReplicaSet, type Rollout, type Workload } from './rollout-types.js';

export { RolloutActionError, type RolloutErrorCode } from './rollout-requests.js';

export interface RolloutRef {
  namespace: string;
  name: string;
}

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
/** `set image`: attempts in all, each from a fresh GET, while the PUT conflicts (kubectl's maxAttempts). */
const SET_IMAGE_ATTEMPTS = 5;
const APPS = { group: 'apps', version: 'v1' } as const;

/** PATCH rollouts/{name}/status `{"status":{"abort":true}}`. */
export async function abort(api: CustomObjectsApi, ref: RolloutRef): Promise<string> {
  const rollout = await checked(api, ref, 'abort');
  await patchStatus(api, ref, { status: { abort: true } });
  return `rollout '${refOf(rollout)}' aborted (update to ${rollout.status?.currentPodHash ?? '?'}; back to stable ${rollout.status?.stableRS ?? '?'})`;
}

/** PATCH rollouts/{name}/status `{"status":{"abort":false}}`. */
export async function retry(api: CustomObjectsApi, ref: RolloutRef): Promise<string> {
  const rollout = await checked(api, ref, 'retry');
  await patchStatus(api, ref, { status: { abort: false } });
  return `rollout '${refOf(rollout)}' retried (update to ${rollout.status?.currentPodHash ?? '?'})`;
}

/** PATCH rollouts/{name} `{"spec":{"paused":true}}`. */
export async function pause(api: CustomObjectsApi, ref: RolloutRef): Promise<string> {
  const rollout = await checked(api, ref, 'pause');
  await patchSpec(api, ref, { spec: { paused: true } });
  return `rollout '${refOf(rollout)}' paused${atStep(rollout)}`;
}

/** PATCH rollouts/{name} `{"spec":{"paused":false}}`: undoes pause; pause steps and analyses need promote. */
export async function resume(api: CustomObjectsApi, ref: RolloutRef): Promise<string> {
  const rollout = await checked(api, ref, 'resume');
  await patchSpec(api, ref, { spec: { paused: false } });
  return `rollout '${refOf(rollout)}' resumed${atStep(rollout)}`;
}

/** PATCH rollouts/{name} `{"spec":{"restartAt":"<RFC 3339, UTC, seconds>"}}`: the controller replaces the pods. */
export async function restart(api: CustomObjectsApi, ref: RolloutRef, options: { at?: Date } = {}): Promise<string> {
  const rollout = await read(api, ref);
  // Go's time.RFC3339 of a UTC time: no fractional seconds, `Z`
  const restartAt = (options.at ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  await patchSpec(api, ref, { spec: { restartAt } });
  return `rollout '${refOf(rollout)}' restarts its pods (restartAt ${restartAt})`;
}

export interface PromoteOptions {
  /** `--full`: skip the remaining steps, analyses and pauses. */
  full?: boolean;
  /** How long to wait for the controller, to catch up with the Rollout before deciding and then to act on the promotion (default 30 s each). */
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * `promote [--full]`: decided on a Rollout the controller has caught up with (see readyToPromote), `{"spec":{"paused":
 * false}}` first if paused, then the status patch (`/status`); then read back until the controller has acted on it
 * (it wrote after us and has no unpause pending), and described as the controller left it (promotionOutcome).
 */
export async function promote(api: CustomObjectsApi, ref: RolloutRef, options: PromoteOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const within = `${timeoutMs / 1000}s`;
  const ready = await readUntil(api, ref, readyToPromote, timeoutMs, options.pollMs);
  if (!ready.met) {
    const s = ready.rollout.status ?? {};
    throw new RolloutActionError(
      'Timeout',
      `rollout '${refOf(ready.rollout)}' not promoted: the controller did not catch up within ${within} ` +
        `(generation ${ready.rollout.metadata.generation ?? '?'}, observed ${s.observedGeneration ?? 'none'}, controllerPause ${s.controllerPause === true}, ` +
        `${(s.pauseConditions ?? []).length} pause conditions)`,
    );
  }
  const before = ready.rollout;
  const patches = promotePatches(before, { full: options.full });
  let written: Rollout | undefined;
  if (patches.spec) written = (await patchSpec(api, ref, patches.spec)) as Rollout;
  if (patches.status) written = (await patchStatus(api, ref, patches.status)) as Rollout;
  const ours = written?.metadata?.resourceVersion;
  const after = await readUntil(api, ref, (r) => readyToPromote(r) && (ours === undefined || r.metadata.resourceVersion !== ours), timeoutMs, options.pollMs);
  if (!after.met) {
    const now = summarizeRollout(after.rollout);
    const at = now.step ? `step ${now.step.index}/${now.step.count}, ` : '';
    throw new RolloutActionError(
      'Timeout',
      `rollout '${refOf(before)}': ${patches.asked}, but the controller has not acted on it within ${within}: ${at}${now.phase}${now.message ? ` (${now.message})` : ''}`,
    );
  }
  return promotionOutcome(before, after.rollout, { full: options.full, promoting: patches.status !== undefined });
}

/** Reads the Rollout until `done` holds or `timeoutMs` has passed: the last read, and whether it held. */
async function readUntil(api: CustomObjectsApi, ref: RolloutRef, done: (rollout: Rollout) => boolean, timeoutMs: number, pollMs = 500): Promise<{ rollout: Rollout; met: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rollout = await read(api, ref);
    if (done(rollout)) return { rollout, met: true };
    if (Date.now() >= deadline) return { rollout, met: false };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Annotations for the Rollout, given the pod template being written (e.g. who wrote it). They go on the Rollout in
 * the same write as the template (with a workloadRef, in a merge patch of the Rollout just before the workload's
 * write), so they are there when the controller starts the new revision's steps.
 */
export type Annotate = (template: PodTemplate) => Record<string, string>;

/**
 * `set image`: GET, set the images in `spec.template.spec`, PUT the whole object — the Deployment named by
 * `spec.workloadRef` if there is one. On a conflict, again from a fresh GET, up to 5 attempts. See Annotate.
 */
export async function setImage(api: CustomObjectsApi, ref: RolloutRef, assignments: string[], options: { annotate?: Annotate } = {}): Promise<string> {
  const images = parseImageAssignments(assignments);
  const annotate = options.annotate ?? (() => ({}));
  for (let attempt = 1; ; attempt++) {
    const rollout = await read(api, ref);
    const workloadRef = rollout.spec.workloadRef;
    try {
      if (!workloadRef) {
        const { object, changes } = withImages(rollout, images);
        object.metadata.annotations = { ...object.metadata.annotations, ...annotate(object.spec.template ?? {}) };
        await call(`update rollout ${ref.namespace}/${ref.name}`, () => api.replaceNamespacedCustomObject({ ...ROLLOUTS, ...ref, body: object }));
        return `rollout '${refOf(rollout)}' image updated: ${changes.join(', ')}`;
      }
      if (workloadRef.kind !== 'Deployment') {
        throw new RolloutActionError('Invalid', `rollout '${refOf(rollout)}' refers to a ${workloadRef.kind}: set image supports a Deployment workloadRef`);
      }
      const target = { ...APPS, plural: 'deployments', namespace: ref.namespace, name: workloadRef.name };
      const deployment = (await call(`get deployment ${ref.namespace}/${workloadRef.name}`, () => api.getNamespacedCustomObject(target))) as Workload;
      const { object, changes } = withImages(deployment, images);
      const annotations = annotate(object.spec.template);
      if (Object.keys(annotations).length > 0) await patchSpec(api, ref, { metadata: { annotations } });
      await call(`update deployment ${ref.namespace}/${workloadRef.name}`, () => api.replaceNamespacedCustomObject({ ...target, body: object }));
      return `deployment '${ref.namespace}/${workloadRef.name}' (workload of rollout '${refOf(rollout)}') image updated: ${changes.join(', ')}`;
    } catch (error) {
      if (!(error instanceof RolloutActionError && error.code === 'Conflict')) throw error;
      if (attempt >= SET_IMAGE_ATTEMPTS) throw new RolloutActionError('Conflict', `${error.message} (${SET_IMAGE_ATTEMPTS} attempts, each from a fresh read)`);
    }
  }
}

/**
 * `undo [--to-revision N]`: the Rollout's ReplicaSets (selected by its selector, controlled by it), the one of
 * revision N (default: the previous), and a JSON patch replacing `/spec/template` with its template without the
 * hash label — of the Rollout, or of its workloadRef. See Annotate (with no workloadRef, the annotations are
 * further operations of the same JSON patch).
 */
export async function undo(api: CustomObjectsApi, ref: RolloutRef, options: { toRevision?: number; annotate?: Annotate } = {}): Promise<string> {
  const rollout = await read(api, ref);
  const list = (await call(`list the replicasets of rollout ${ref.namespace}/${ref.name}`, () =>
    api.listNamespacedCustomObject({ ...APPS, plural: 'replicasets', namespace: ref.namespace, labelSelector: selectorString(rollout.spec.selector) }),
  )) as { items?: Workload[] };
  const { revision, replicaSet } = pickRevision(rollout, list.items ?? [], options.toRevision);
  if (!rollout.spec.workloadRef && templateMatches(rollout.spec.template, replicaSet)) {
    return `skipped rollback of rollout '${refOf(rollout)}' (current template already matches revision ${revision})`;
  }
  const template = restorableTemplate(replicaSet);
  const body = [{ op: 'replace', path: '/spec/template', value: template }];
  const annotations = options.annotate?.(template) ?? {};
  const workload = rollout.spec.workloadRef;
  if (!workload) {
    const annotated = [...body, ...annotationOps(rollout, annotations)];
    await call(`undo rollout ${ref.namespace}/${ref.name}`, () => api.patchNamespacedCustomObject({ ...ROLLOUTS, ...ref, body: annotated }, JSON_PATCH));
    return `rollout '${refOf(rollout)}' rolled back to revision ${revision} (template of ReplicaSet ${replicaSet.metadata.name})`;
  }
  if (workload.kind !== 'Deployment' && workload.kind !== 'ReplicaSet') {
    throw new RolloutActionError('Invalid', `workload of type ${workload.kind} is not supported`);
  }
  if (Object.keys(annotations).length > 0) await patchSpec(api, ref, { metadata: { annotations } });
  const plural = workload.kind === 'Deployment' ? 'deployments' : 'replicasets';
  await call(`undo ${workload.kind} ${ref.namespace}/${workload.name}`, () =>
    api.patchNamespacedCustomObject({ ...APPS, plural, namespace: ref.namespace, name: workload.name, body }, JSON_PATCH),
  );
  return `${workload.kind.toLowerCase()} '${ref.namespace}/${workload.name}' (workload of rollout '${refOf(rollout)}') rolled back to revision ${revision}`;
}

/** JSON patch operations setting annotations on an object as read (`add` replaces an existing key). */
function annotationOps(object: Rollout, annotations: Record<string, string>): object[] {
  const entries = Object.entries(annotations);
  if (entries.length === 0) return [];
  if (!object.metadata.annotations) return [{ op: 'add', path: '/metadata/annotations', value: annotations }];
  return entries.map(([key, value]) => ({ op: 'add', path: `/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, value }));
}

/**
 * The ReplicaSets the actual weight of a canary without traffic routing is computed from (summarizeRollout): those
 * of the namespace with the current pod template hash, in one list request. Undefined when the weight needs none.
 */
export async function replicaSetsForStatus(api: CustomObjectsApi, rollout: Rollout): Promise<ReplicaSet[] | undefined> {
  if (!needsReplicaSets(rollout)) return undefined;
  const namespace = rollout.metadata.namespace ?? '';
  const list = (await call(`list the replicasets of rollout ${namespace}/${rollout.metadata.name}`, () =>
    api.listNamespacedCustomObject({ ...REPLICA_SETS, namespace, labelSelector: `${POD_TEMPLATE_HASH_LABEL}=${rollout.status?.currentPodHash ?? ''}` }),
  )) as { items?: ReplicaSet[] };
  return list.items ?? [];
}

async function read(api: CustomObjectsApi, ref: RolloutRef): Promise<Rollout> {
  return (await call(`get rollout ${ref.namespace}/${ref.name}`, () => api.getNamespacedCustomObject({ ...ROLLOUTS, ...ref }), `rollout '${ref.namespace}/${ref.name}' not found`)) as Rollout;
}

async function checked(api: CustomObjectsApi, ref: RolloutRef, action: Parameters<typeof refusal>[0]): Promise<Rollout> {
  const rollout = await read(api, ref);
  const reason = refusal(action, rollout);
  if (reason) throw new RolloutActionError('NotApplicable', reason);
  return rollout;
}

function patchStatus(api: CustomObjectsApi, ref: RolloutRef, body: object): Promise<unknown> {
  return call(`patch rollout ${ref.namespace}/${ref.name} status`, () => api.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, ...ref, body }, MERGE));
}

function patchSpec(api: CustomObjectsApi, ref: RolloutRef, body: object): Promise<unknown> {
  return call(`patch rollout ${ref.namespace}/${ref.name}`, () => api.patchNamespacedCustomObject({ ...ROLLOUTS, ...ref, body }, MERGE));
}

const atStep = (rollout: Rollout) => (stepText(rollout) ? ` at ${stepText(rollout)}` : '');

/** What an HTTP status says about a request: refusals that a retry would not change, and a missing object. */
const CODES: Partial<Record<number, RolloutErrorCode>> = { 400: 'Invalid', 401: 'Forbidden', 403: 'Forbidden', 404: 'NotFound', 422: 'Invalid' };

/** Runs one request; an API error becomes a RolloutActionError with the server's own message. */
async function call<T>(what: string, request: () => Promise<T>, notFound?: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const message = serverMessage(error.body) ?? error.message;
    if (error.code === 404 && notFound) throw new RolloutActionError('NotFound', notFound);
    if (error.code === 409) throw new RolloutActionError('Conflict', `${what}: conflict: ${message}`);
    throw new RolloutActionError(CODES[error.code] ?? 'ApiError', `${what}: ${error.code} ${message}`);
  }
}
