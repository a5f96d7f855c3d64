// Starting and cancelling release pipeline runs, whoever asks (the Slack bot, the CLI): the Pipeline is read and the
// run's variables checked against it before anything is created (a missing or misspelt variable is refused, not
// deployed with a default), and a cancel is asked once — an earlier request by someone else is never overwritten.
// Who may do it is the caller's to check (the bot's roles, the API server's RBAC for the CLI's user); the API calls
// are made with the client the caller gives.
import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ConfigError } from '../config/errors.js';
import { describeApiError, isApiStatus } from '../kube/api-errors.js';
import { CANCEL_ANNOTATION, PIPELINE_RUNS, PIPELINES, type PipelineRun } from '../pipelines/controller.js';
import { parsePipelineRunSpec, type PipelineRunSpec, runVariables } from '../pipelines/run.js';
import { type PipelineSpec, parsePipelineSpec } from '../pipelines/spec.js';

/** Why a start or cancel did not happen, for people; nothing was changed. */
export class PipelineRunRefused extends Error {
  override name = 'PipelineRunRefused';
}

async function call<T>(what: string, request: () => Promise<T>, notFound?: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (notFound && isApiStatus(error, 404)) throw new PipelineRunRefused(notFound, { cause: error });
    throw new PipelineRunRefused(`cannot ${what}: ${describeApiError(error)}`, { cause: error });
  }
}

export async function readPipeline(api: CustomObjectsApi, namespace: string, name: string): Promise<PipelineSpec> {
  const pipeline = (await call(`read Pipeline ${namespace}/${name}`, () => api.getNamespacedCustomObject({ ...PIPELINES, namespace, name }), `Pipeline ${namespace}/${name} does not exist`)) as { spec?: unknown };
  try {
    return parsePipelineSpec(pipeline.spec);
  } catch (error) {
    if (error instanceof ConfigError) throw new PipelineRunRefused(`Pipeline ${namespace}/${name} is invalid, so no run of it can start: ${error.message}`);
    throw error;
  }
}

export interface StartRequest {
  namespace: string;
  pipeline: string;
  variables: Record<string, string>;
  triggeredBy: PipelineRunSpec['triggeredBy'];
  /** The run's name (a repeated request then finds the run it made); `<pipeline>-<random suffix>` without it. */
  name?: string;
  annotations?: Record<string, string>;
}

export type StartResult = { created: true; run: PipelineRun; pipeline: PipelineSpec } | { created: false; run: PipelineRun };

/** Checks the variables against the Pipeline, then creates the run; with a name already taken, returns that run. */
export async function startRun(api: CustomObjectsApi, request: StartRequest): Promise<StartResult> {
  const { namespace } = request;
  const pipeline = await readPipeline(api, namespace, request.pipeline);
  let spec: PipelineRunSpec;
  try {
    spec = parsePipelineRunSpec({ pipelineRef: { name: request.pipeline }, variables: request.variables, triggeredBy: request.triggeredBy });
    runVariables(pipeline, spec);
  } catch (error) {
    if (error instanceof ConfigError) throw new PipelineRunRefused(`no run started: ${error.message}`);
    throw error;
  }
  const body = {
    apiVersion: `${PIPELINE_RUNS.group}/${PIPELINE_RUNS.version}`,
    kind: PIPELINE_RUNS.kind,
    metadata: { ...(request.name ? { name: request.name } : { generateName: `${request.pipeline.slice(0, 200)}-` }), ...(request.annotations && { annotations: request.annotations }) },
    spec,
  };
  try {
    return { created: true, run: (await api.createNamespacedCustomObject({ ...PIPELINE_RUNS, namespace, body })) as PipelineRun, pipeline };
  } catch (error) {
    if (request.name && isApiStatus(error, 409)) return { created: false, run: await readRun(api, namespace, request.name) };
    throw new PipelineRunRefused(`cannot create a PipelineRun in ${namespace}: ${describeApiError(error)}`, { cause: error });
  }
}

export async function readRun(api: CustomObjectsApi, namespace: string, name: string): Promise<PipelineRun> {
  return (await call(`read PipelineRun ${namespace}/${name}`, () => api.getNamespacedCustomObject({ ...PIPELINE_RUNS, namespace, name }), `PipelineRun ${namespace}/${name} does not exist`)) as PipelineRun;
}

export type CancelResult =
  | { kind: 'requested'; run: PipelineRun }
  /** Someone asked before (the annotation names them); their request stands. */
  | { kind: 'already'; by: string; run: PipelineRun }
  | { kind: 'ended'; run: PipelineRun };

/** Writes that lost to another writer before giving up (the controller writes the run's status often). */
const ATTEMPTS = 5;

const hasEnded = (run: PipelineRun) => run.status !== undefined && run.status.phase !== 'Running';

/**
 * Asks the pipelines controller to stop the run before its next step: the cancel annotation set to `by`, on the run
 * as it was read (its resourceVersion), read again and decided again when it changed meanwhile.
 */
export async function cancelRun(api: CustomObjectsApi, namespace: string, name: string, by: string): Promise<CancelResult> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const run = await readRun(api, namespace, name);
    if (hasEnded(run)) return { kind: 'ended', run };
    const earlier = run.metadata.annotations?.[CANCEL_ANNOTATION];
    if (earlier !== undefined) return { kind: 'already', by: earlier, run };
    const body = { metadata: { resourceVersion: run.metadata.resourceVersion, annotations: { [CANCEL_ANNOTATION]: by } } };
    try {
      const patched = (await api.patchNamespacedCustomObject({ ...PIPELINE_RUNS, namespace, name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as PipelineRun;
      return { kind: 'requested', run: patched };
    } catch (error) {
      if (isApiStatus(error, 409)) continue;
      if (isApiStatus(error, 404)) throw new PipelineRunRefused(`PipelineRun ${namespace}/${name} does not exist`);
      throw new PipelineRunRefused(`cannot ask PipelineRun ${namespace}/${name} to cancel: ${describeApiError(error)}`);
    }
  }
  throw new PipelineRunRefused(`cannot ask PipelineRun ${namespace}/${name} to cancel: it kept changing while the request was being made; try again`);
}
