// `rollouts-cv pipeline run|status|cancel` against a stand-in Kubernetes API (test/helpers/fake-kube-store.ts): the
// commands called in-process with a KubeConfig, and the built CLI started as a process with a kubeconfig file, its
// runs carried out meanwhile by the real pipelines controller pass (reconcileRun) with stand-in step executors.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, clusterOf, CommandError } from '../../cli/pipeline/cluster.js';
import { PipelineRunRefused } from '../../shared/operations/pipeline-runs.js';
import { followRun } from '../../cli/pipeline/follow.js';
import { cancelRun } from '../../cli/pipeline/cancel.js';
import type { Output } from '../../cli/pipeline/output.js';
import { startRun } from '../../cli/pipeline/run.js';
import { showStatus } from '../../cli/pipeline/status.js';
import { approveRun } from '../../cli/pipeline/approve.js';
import { type ApprovalRequest, newApprovalRequest, type PipelineRequestSpec, statusOf } from '../../shared/approvals/request.js';
import { createLogger } from '../../shared/log.js';
import type { StepOutcome } from '../../shared/pipelines/advance.js';
import { CANCEL_ANNOTATION, type ControllerDeps, type PipelineRun, reconcileRun } from '../../shared/pipelines/controller.js';
import type { RunSummary } from '../../shared/pipelines/summary.js';
import { type FakeKubeApi, startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { failure, type KubeObject, objectStore } from '../helpers/fake-kube-store.js';

const NS = 'releases';
const PIPELINES = { group: 'rollouts-cv.io', plural: 'pipelines' };
const RUNS = { group: 'rollouts-cv.io', plural: 'pipelineruns' };
const RUNS_PATH = `/apis/rollouts-cv.io/v1alpha1/namespaces/${NS}/pipelineruns`;
const ALICE = 'alice@example.com';

const root = join(import.meta.dirname, '..', '..');
// Inside the package so that the compiled modules find proto/ and package.json at the package root, as dist/ does.
const outDir = join(root, '.cache', 'pipeline-cli-test');
const cli = join(outDir, 'cli', 'main.js');

let store: ReturnType<typeof objectStore>;
let kube: FakeKubeApi;
let dir: string;
let kubeconfigFile: string;

/** A KubeConfig of the fake API server whose user sends `token` (fake.kubeConfig's is alice's, "secret-token"). */
function kubeConfigWith(token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: kube.url, skipTLSVerify: true }],
    users: [{ name: 'someone', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'someone', namespace: NS }],
    currentContext: 'fake',
  });
  return kc;
}

const asAlice = (): Cluster => clusterOf(kube.kubeConfig(), NS);
const asBob = (): Cluster => clusterOf(kubeConfigWith('bob-token'));

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => void stdout.push(line), err: (line) => void stderr.push(line) };
}

const runs = () => store.list(RUNS).filter((run) => run.metadata.namespace === NS) as unknown as PipelineRun[];
const readRun = (name: string) => store.get({ ...RUNS, namespace: NS, name }) as unknown as PipelineRun;

async function until<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let waited = 0; waited < 15_000; waited += 20) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * The pipelines controller, one pass at a time, over the run named (or the first one created): verify steps
 * answer Running once, then `verdict`; an undefined verdict leaves them running. Resolves when the run has ended.
 */
async function carryOut(verdict: StepOutcome | undefined, name?: string): Promise<void> {
  const asked = new Set<string>();
  const deps: ControllerDeps = {
    objects: kube.kubeConfig().makeApiClient(CustomObjectsApi),
    executors: {
      verify: async (step, _record, { key }) => {
        if (asked.has(key) || !verdict) return verdict ?? { phase: 'Running', message: `AnalysisRun ${step.name} is Running`, recheckAfterMs: 1000 };
        asked.add(key);
        return { phase: 'Running', message: `AnalysisRun ${step.name} is Running`, recheckAfterMs: 1000 };
      },
    },
    log: createLogger({ level: 'silent' }),
    now: () => new Date(),
  };
  const target = await until(() => (name ? readRun(name) : runs()[0]), 'a PipelineRun');
  for (let pass = 0; pass < 20; pass++) {
    const { recheckAfterMs } = await reconcileRun(deps, readRun(target.metadata.name));
    if (recheckAfterMs === null) return;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

function seedRun(name: string, status?: object, extra: { annotations?: Record<string, string>; created?: string; namespace?: string } = {}): void {
  store.seed(RUNS, {
    apiVersion: 'rollouts-cv.io/v1alpha1',
    kind: 'PipelineRun',
    metadata: { name, namespace: extra.namespace ?? NS, ...(extra.created && { creationTimestamp: extra.created }), ...(extra.annotations && { annotations: extra.annotations }) },
    spec: { pipelineRef: { name: 'release' }, variables: { image: 'app:1' }, triggeredBy: { kind: 'slack', id: 'U012ABCDEF' } },
    ...(status && { status }),
  });
}

const ENDED = { phase: 'Succeeded', message: 'all 2 stages succeeded', startedAt: '2026-12-05T10:00:00Z', finishedAt: '2026-12-05T10:05:00Z', variables: {}, pipeline: { name: 'release' }, stages: [] };

beforeAll(async () => {
  store = objectStore({ users: { 'secret-token': { username: ALICE }, 'bob-token': { username: 'bob@example.com' } } });
  kube = await startFakeKubeApi(store.respond);
  dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-pipeline-cli-'));
  kubeconfigFile = join(dir, 'kubeconfig');
  await writeFile(kubeconfigFile, kubeConfigWith('secret-token').exportConfig());
  await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir]);
}, 120_000);

afterAll(async () => {
  await kube.close();
  await rm(outDir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  store.dropWatches();
  for (const run of store.list(RUNS)) store.delete({ ...RUNS, namespace: run.metadata.namespace, name: run.metadata.name });
  for (const pipeline of store.list(PIPELINES)) store.delete({ ...PIPELINES, namespace: pipeline.metadata.namespace, name: pipeline.metadata.name });
  const pipeline: KubeObject = {
    apiVersion: 'rollouts-cv.io/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'release', namespace: NS },
    spec: {
      variables: [{ name: 'image', required: true, description: 'the image to release' }, { name: 'replicas', default: '2' }],
      stages: [
        { name: 'dev', steps: [{ name: 'verify', verify: { rollout: 'app', template: { name: 't' } } }] },
        { name: 'prod', steps: [{ name: 'verify', verify: { rollout: 'app', template: { name: 't' } } }] },
      ],
    },
  };
  store.seed(PIPELINES, pipeline);
  kube.requests.length = 0;
});

/** Runs the built CLI with the kubeconfig file; resolves with its exit code and output. */
function rolloutsCv(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: kubeconfigFile } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pipeline run', () => {
  it('creates the run as the caller: triggeredBy is their Kubernetes user name, variables as given', async () => {
    const output = capture();
    expect(await startRun(asAlice(), { pipeline: 'release', variables: { image: 'registry.example/app:2.4.0' }, wait: false }, output)).toBe(0);
    const [run] = runs();
    expect(run?.metadata.name).toMatch(/^release-[a-z0-9]{5}$/);
    expect(run?.spec).toEqual({ pipelineRef: { name: 'release' }, variables: { image: 'registry.example/app:2.4.0' }, triggeredBy: { kind: 'kubernetes', id: ALICE } });
    expect(output.stdout).toEqual([run!.metadata.name]);
    expect(output.stderr[0]).toBe(`PipelineRun ${NS}/${run!.metadata.name} of Pipeline release created, triggered by ${ALICE}`);
    // Who the caller is came from the API server, and the run was created once.
    expect(kube.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/apis/authentication.k8s.io/v1/selfsubjectreviews', RUNS_PATH]);
  });

  it('takes --name for the run', async () => {
    expect(await startRun(asAlice(), { pipeline: 'release', variables: { image: 'app:2' }, name: 'release-42', wait: false }, capture())).toBe(0);
    expect(runs().map((run) => run.metadata.name)).toEqual(['release-42']);
  });

  it('refuses a missing required or undeclared variable, naming it, and creates nothing', async () => {
    await expect(startRun(asAlice(), { pipeline: 'release', variables: { imgae: 'app:2' }, wait: false }, capture())).rejects.toThrow(
      new PipelineRunRefused('no run started: spec.variables.imgae: the pipeline declares no such variable (variables: image, replicas); spec.variables.image: is required (the image to release)'),
    );
    await expect(startRun(asAlice(), { pipeline: 'missing', variables: {}, wait: false }, capture())).rejects.toThrow(new PipelineRunRefused(`Pipeline ${NS}/missing does not exist`));
    expect(runs()).toEqual([]);
    expect(kube.requests.some((r) => r.method === 'POST' && r.path === RUNS_PATH)).toBe(false);
  });

  it('refuses a value beyond the limits of a PipelineRun (1 MB) before anything is created, and keeps newlines as given', async () => {
    await expect(startRun(asAlice(), { pipeline: 'release', variables: { image: 'x'.repeat(1 << 20) }, wait: false }, capture())).rejects.toThrow(/^no run started: spec\.variables\.image: .*4096/);
    await expect(startRun(asAlice(), { pipeline: 'release', variables: { image: 'app:2', ['v'.repeat(64)]: '1' }, wait: false }, capture())).rejects.toThrow(/^no run started: spec\.variables\.v{64}: /);
    expect(runs()).toEqual([]);
    // A newline is a value like any other here: the Pipeline's own checks apply where it is used (e.g. YAML paths).
    await startRun(asAlice(), { pipeline: 'release', variables: { image: 'app:2\nRollouts-CV-Step: forged' }, wait: false }, capture());
    expect(runs()[0]?.spec).toMatchObject({ variables: { image: 'app:2\nRollouts-CV-Step: forged' } });
  });

  it('prints what the API server said when it refuses: RBAC, the admission policy, an unknown user', async () => {
    const forbidden = `pipelineruns.rollouts-cv.io is forbidden: User "${ALICE}" cannot create resource "pipelineruns" in API group "rollouts-cv.io" in the namespace "${NS}"`;
    const stop = store.intercept((request) => (request.method === 'POST' && request.path === RUNS_PATH ? failure(403, 'Forbidden', forbidden) : undefined));
    await expect(startRun(asAlice(), { pipeline: 'release', variables: { image: 'app:2' }, wait: false }, capture())).rejects.toThrow(new PipelineRunRefused(`cannot create a PipelineRun in ${NS}: HTTP 403: ${forbidden}`));
    stop();
    const policy = `pipelineruns.rollouts-cv.io "release-abcde" is forbidden: ValidatingAdmissionPolicy 'rollouts-cv-pipelines-pipelinerun-trigger' with binding 'rollouts-cv-pipelines-pipelinerun-trigger' denied request: spec.triggeredBy.id must be your own user name (${ALICE})`;
    store.once((request) => request.method === 'POST' && request.path === RUNS_PATH, () => failure(403, 'Forbidden', policy));
    await expect(startRun(asAlice(), { pipeline: 'release', variables: { image: 'app:2' }, wait: false }, capture())).rejects.toThrow(`HTTP 403: ${policy}`);
    await expect(startRun(clusterOf(kubeConfigWith('expired'), NS), { pipeline: 'release', variables: { image: 'app:2' }, wait: false }, capture())).rejects.toThrow(
      new CommandError("cannot tell who you are (SelfSubjectReview): HTTP 401: the API server does not accept the kubeconfig's credentials (expired, or for another cluster)"),
    );
    expect(runs()).toEqual([]);
  });

  it('--wait: prints each stage and step as the controller moves the run on, and exits 0 when it succeeds', async () => {
    const output = capture();
    const [code] = await Promise.all([startRun(asAlice(), { pipeline: 'release', variables: { image: 'app:2' }, wait: true }, output), carryOut({ phase: 'Succeeded', message: 'Healthy' })]);
    expect(code).toBe(0);
    const [name, ...progress] = output.stdout;
    expect(name).toBe(runs()[0]!.metadata.name);
    // What the first look sees depends on how far the controller has got; from there on every change is shown.
    expect(progress.at(-1)).toMatch(/^run Succeeded \(\d+s\): all 2 stages succeeded$/);
    expect(progress.filter((line) => /^(stage|dev|prod)/.test(line)).map((line) => line.replace(/ \(\d+s\)/, ''))).toEqual(
      expect.arrayContaining(['dev/verify: Succeeded - Healthy', 'stage dev: Succeeded', 'stage prod: Running', 'prod/verify: Running - AnalysisRun verify is Running', 'prod/verify: Succeeded - Healthy', 'stage prod: Succeeded']),
    );
  });

  it('--wait: exits 1 when the run fails, with its message', async () => {
    const output = capture();
    const [code] = await Promise.all([
      startRun(asAlice(), { pipeline: 'release', variables: { image: 'app:2' }, wait: true }, output),
      carryOut({ phase: 'Failed', failure: 'verification', message: 'Unhealthy' }),
    ]);
    expect(code).toBe(1);
    expect(output.stdout.at(-1)).toMatch(/^run Failed \(\d+s\): stage dev: step verify failed \(the verification failed\): Unhealthy$/);
  });
});

describe('following a run', () => {
  it('carries on through a dropped watch and a resourceVersion too old to resume from', async () => {
    seedRun('r1');
    const lines: string[] = [];
    const following = followRun(asAlice(), 'r1', (line) => void lines.push(line), { retry: { firstMs: 10, maxMs: 10, attempts: 5 } });
    await until(() => (lines.length > 0 && store.openWatches > 0 ? true : undefined), 'the watch');
    store.dropWatches();
    store.compact();
    store.modify({ ...RUNS, namespace: NS, name: 'r1' }, (run) => void (run.status = { ...ENDED, phase: 'Running', finishedAt: undefined, message: undefined, currentStage: 'dev' }));
    store.compact();
    await until(() => (lines.includes('run Running') ? true : undefined), 'the run to be seen running');
    store.dropWatches();
    store.modify({ ...RUNS, namespace: NS, name: 'r1' }, (run) => void (run.status = ENDED));
    const end: RunSummary = await following;
    expect(end.phase).toBe('Succeeded');
    expect(lines).toEqual(['run Pending: waiting for the pipelines controller to start it', 'run Running', 'run Succeeded (5m): all 2 stages succeeded']);
  });

  it('stops at a refusal: a run deleted, a watch forbidden', async () => {
    seedRun('r2');
    const deleted = followRun(asAlice(), 'r2', () => undefined);
    await until(() => (store.openWatches > 0 ? true : undefined), 'the watch');
    store.delete({ ...RUNS, namespace: NS, name: 'r2' });
    await expect(deleted).rejects.toThrow(new CommandError(`PipelineRun ${NS}/r2 was deleted before it ended`));
    seedRun('r3');
    const stop = store.intercept((request) => (request.query.get('watch') === 'true' ? failure(403, 'Forbidden', 'cannot watch') : undefined));
    await expect(followRun(asAlice(), 'r3', () => undefined)).rejects.toThrow(new CommandError(`cannot watch PipelineRun ${NS}/r3: HTTP 403: Forbidden`));
    stop();
  });
});

describe('pipeline status', () => {
  it('shows one run in full, as text or JSON', async () => {
    const started = { phase: 'Running', currentStage: 'dev', startedAt: '2026-12-05T10:00:00Z', variables: { image: 'app:1\u001b[31m' }, pipeline: { name: 'release' } };
    seedRun('r1', {
      ...started,
      stages: [{ name: 'dev', phase: 'Running', startedAt: started.startedAt, steps: [{ name: 'verify', type: 'verify', phase: 'Running', startedAt: started.startedAt, message: 'AnalysisRun r1-dev-verify is Running' }], rollback: [] }],
    });
    const now = () => new Date('2026-12-05T10:01:30Z');
    const text = capture();
    expect(await showStatus(asAlice(), { run: 'r1', output: 'text', limit: 20, now }, text)).toBe(0);
    expect(text.stdout.join('\n')).toBe(
      [
        `PipelineRun:  ${NS}/r1`,
        'Pipeline:     release',
        'Phase:        Running (1m30s)',
        'Now:          stage dev, step verify',
        'Started by:   Slack user U012ABCDEF',
        'Started:      2026-12-05T10:00:00Z',
        'Variables:    image=app:1\\u001b[31m',
        '',
        'STAGE / STEP  PHASE    DURATION  MESSAGE',
        'dev           Running  1m30s',
        '  verify      Running  1m30s     AnalysisRun r1-dev-verify is Running',
      ].join('\n'),
    );
    const json = capture();
    await showStatus(asAlice(), { run: 'r1', output: 'json', limit: 20, now }, json);
    expect(JSON.parse(json.stdout.join('\n'))).toMatchObject({ name: 'r1', phase: 'Running', current: { stage: 'dev', steps: ['verify'] }, stages: [{ name: 'dev', steps: [{ name: 'verify', durationMs: 90_000 }] }] });
    await expect(showStatus(asAlice(), { run: 'nope', output: 'text', limit: 20 }, capture())).rejects.toThrow(new PipelineRunRefused(`PipelineRun ${NS}/nope does not exist`));
  });

  it('lists the namespace’s runs newest first, up to --limit', async () => {
    seedRun('old', ENDED, { created: '2026-12-04T10:00:00Z' });
    seedRun('new', undefined, { created: '2026-12-05T10:00:00Z' });
    seedRun('elsewhere', undefined, { created: '2026-12-05T10:00:00Z', namespace: 'other' });
    const now = () => new Date('2026-12-05T10:00:45Z');
    const output = capture();
    await showStatus(asAlice(), { output: 'text', limit: 20, now }, output);
    expect(output.stdout.join('\n')).toBe(
      ['NAME  PIPELINE  PHASE      STAGE  BY          AGE', 'new   release   Pending           U012ABCDEF  45s', 'old   release   Succeeded         U012ABCDEF  24h'].join('\n'),
    );
    const limited = capture();
    await showStatus(asAlice(), { output: 'json', limit: 1, now }, limited);
    expect((JSON.parse(limited.stdout.join('\n')) as RunSummary[]).map((run) => run.name)).toEqual(['new']);
  });
});

describe('pipeline cancel', () => {
  it('asks once, in the caller’s name; a second request says who asked first', async () => {
    seedRun('r1');
    const first = capture();
    expect(await cancelRun(asAlice(), 'r1', first)).toBe(0);
    expect(first.stdout).toEqual([`PipelineRun ${NS}/r1, started by Slack user U012ABCDEF: cancel requested by ${ALICE}; it ends Failed before its next step`]);
    const second = capture();
    expect(await cancelRun(asBob(), 'r1', second)).toBe(0);
    expect(second.stdout).toEqual([`PipelineRun ${NS}/r1: cancel was already requested by ${ALICE}`]);
    expect(readRun('r1').metadata.annotations).toEqual({ [CANCEL_ANNOTATION]: ALICE });
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('never overwrites a request made while it was asking, and tries again when the run only moved on', async () => {
    seedRun('r2');
    // The controller writes the run's status between the read and the write: asked again, on the new version.
    store.once((request) => request.method === 'PATCH', () => void store.modify({ ...RUNS, namespace: NS, name: 'r2' }, (run) => void (run.metadata.labels = { moved: 'on' })));
    expect(await cancelRun(asAlice(), 'r2', capture())).toBe(0);
    expect(readRun('r2').metadata.annotations).toEqual({ [CANCEL_ANNOTATION]: ALICE });
    seedRun('r3');
    store.once((request) => request.method === 'PATCH', () => void store.modify({ ...RUNS, namespace: NS, name: 'r3' }, (run) => void (run.metadata.annotations = { [CANCEL_ANNOTATION]: 'Slack user U0OTHER' })));
    const output = capture();
    expect(await cancelRun(asAlice(), 'r3', output)).toBe(0);
    expect(output.stdout).toEqual([`PipelineRun ${NS}/r3: cancel was already requested by Slack user U0OTHER`]);
    expect(readRun('r3').metadata.annotations).toEqual({ [CANCEL_ANNOTATION]: 'Slack user U0OTHER' });
  });

  it('says a run that has ended cannot be cancelled, and exits 1', async () => {
    seedRun('r4', ENDED);
    const output = capture();
    expect(await cancelRun(asAlice(), 'r4', output)).toBe(1);
    expect(output.stderr).toEqual([`PipelineRun ${NS}/r4 has already ended (Succeeded: all 2 stages succeeded); nothing to cancel`]);
    expect(readRun('r4').metadata.annotations).toBeUndefined();
  });
});

describe('the built command', () => {
  it('run --wait: exit 0 once the run succeeds, with the run’s name first', async () => {
    const [result] = await Promise.all([rolloutsCv(['pipeline', 'run', 'release', 'image=app:2', '-n', NS, '--wait']), carryOut({ phase: 'Succeeded', message: 'Healthy' })]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(runs()[0]!.metadata.name);
    expect(lines.at(-1)).toMatch(/^run Succeeded/);
  }, 30_000);

  it('exit 1 with the reason when the run cannot start or the API server refuses; nothing created', async () => {
    const missing = await rolloutsCv(['pipeline', 'run', 'release', '-n', NS]);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'rollouts-cv pipeline run: no run started: spec.variables.image: is required (the image to release)\n' });
    expect(runs()).toEqual([]);
    seedRun('r1');
    const rbac = `pipelineruns.rollouts-cv.io "r1" is forbidden: User "${ALICE}" cannot patch resource "pipelineruns" in API group "rollouts-cv.io" in the namespace "${NS}"`;
    const stop = store.intercept((request) => (request.method === 'PATCH' ? failure(403, 'Forbidden', rbac) : undefined));
    const forbidden = await rolloutsCv(['pipeline', 'cancel', 'r1', '-n', NS]);
    stop();
    expect(forbidden).toMatchObject({ code: 1, stdout: '', stderr: `rollouts-cv pipeline cancel: cannot ask PipelineRun ${NS}/r1 to cancel: HTTP 403: ${rbac}\n` });
    expect(readRun('r1').metadata.annotations).toBeUndefined();
  });

  it('exit 2 on a usage error: a variable not written name=value, given twice, a bad name', async () => {
    for (const [args, message] of [
      [['pipeline', 'run', 'release', 'image'], /expected variables as name=value .*got "image"/],
      [['pipeline', 'run', 'release', 'image=a', 'image=b'], /variable "image" is given twice/],
      [['pipeline', 'run', 'Release_1', 'image=a'], /expected a Kubernetes object name/],
      [['pipeline', 'status', '-n', 'Not A Namespace'], /expected a namespace name/],
      [['pipeline', 'status', '--output', 'yaml'], /Allowed choices are text, json/],
      [['pipeline', 'cancel'], /missing required argument 'run'/],
    ] as const) {
      const result = await rolloutsCv([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(kube.requests).toEqual([]);
  });

  it('status: the namespace of the kubeconfig context by default', async () => {
    seedRun('mine', undefined, { created: '2026-12-05T10:00:00Z' });
    const result = await rolloutsCv(['pipeline', 'status']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAME +PIPELINE +PHASE +STAGE +BY +AGE\nmine +release +Pending +U012ABCDEF +\S+\n$/);
  });
});

describe('pipeline approve', () => {
  const REQUESTS = { group: 'rollouts-cv.io', plural: 'approvalrequests' };
  /** A run started by Alice, waiting on people for its step `step` of stage `stage`. */
  function waiting(type: 'Approval' | 'Intervention', extra: Partial<PipelineRequestSpec> = {}): string {
    seedRun('r1', { ...ENDED, phase: 'Running', finishedAt: undefined });
    const uid = readRun('r1').metadata.uid!;
    const request = newApprovalRequest(`r1-${type.toLowerCase()}`, NS, {
      type,
      pipelineRun: { name: 'r1', uid, stage: 'prod', step: 'verify' },
      requestedBy: ALICE,
      policy: { minApprovals: 1, allowSelfApproval: type === 'Intervention' },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      onTimeout: type === 'Approval' ? 'reject' : 'rollback',
      ...(type === 'Intervention' && { actions: ['retry', 'ignore', 'rollback', 'abort'] }),
      ...extra,
    } as PipelineRequestSpec);
    store.seed(REQUESTS, request as unknown as KubeObject);
    return request.metadata.name;
  }
  const statusOfRequest = (name: string) => statusOf(store.get({ ...REQUESTS, namespace: NS, name }) as unknown as ApprovalRequest);
  beforeEach(() => {
    for (const request of store.list(REQUESTS)) store.delete({ ...REQUESTS, namespace: NS, name: request.metadata.name });
  });

  it('records an approval by someone else, and refuses the person who started the run', async () => {
    const name = waiting('Approval');
    await expect(approveRun(asAlice(), { run: 'r1', reject: false }, capture())).rejects.toThrow(new CommandError('not recorded: you triggered this deploy, so someone else has to approve it'));
    const output = capture();
    expect(await approveRun(asBob(), { run: 'r1', reject: false, comment: 'checked the canary' }, output)).toBe(0);
    expect(output.stdout).toEqual([`Recorded bob@example.com's approve on ApprovalRequest ${NS}/${name} (step verify of stage prod): the request is now decided (approve): approve by bob@example.com: checked the canary`]);
    expect(statusOfRequest(name).decisions).toEqual([expect.objectContaining({ user: 'bob@example.com', action: 'approve', source: 'cli', comment: 'checked the canary' })]);
    await expect(approveRun(asBob(), { run: 'r1', reject: false }, capture())).rejects.toThrow(new CommandError(`PipelineRun ${NS}/r1 is not waiting for a decision`));
  });

  it('rejects; and for a failed step takes one of its choices, and only those', async () => {
    const approval = waiting('Approval');
    expect(await approveRun(asBob(), { run: 'r1', reject: true }, capture())).toBe(0);
    expect(statusOfRequest(approval)).toMatchObject({ state: 'Decided', outcome: 'reject' });
    store.delete({ ...REQUESTS, namespace: NS, name: approval });
    store.delete({ ...RUNS, namespace: NS, name: 'r1' });
    const intervention = waiting('Intervention', { actions: ['retry', 'ignore', 'abort'] });
    await expect(approveRun(asAlice(), { run: 'r1', reject: false }, capture())).rejects.toThrow(`ApprovalRequest ${intervention} (a failed step) needs --choice: one of retry, ignore, abort`);
    await expect(approveRun(asAlice(), { run: 'r1', reject: false, choice: 'rollback' }, capture())).rejects.toThrow('"rollback" is not one of the choices here (retry, ignore, abort)');
    expect(await approveRun(asAlice(), { run: 'r1', reject: false, choice: 'retry' }, capture())).toBe(0);
    expect(statusOfRequest(intervention)).toMatchObject({ state: 'Decided', outcome: 'retry' });
  });

  it('leaves to Slack a request that names Slack approvers, and says what the API server refused', async () => {
    waiting('Approval', { policy: { minApprovals: 1, allowSelfApproval: false, approvers: { users: ['U0CAROL001'] } } });
    await expect(approveRun(asBob(), { run: 'r1', reject: false }, capture())).rejects.toThrow('names its approvers as Slack users and groups (U0CAROL001); decide it in Slack');
    store.delete({ ...REQUESTS, namespace: NS, name: 'r1-approval' });
    store.delete({ ...RUNS, namespace: NS, name: 'r1' });
    waiting('Approval');
    const stop = store.intercept((request) => (request.method === 'PUT' && request.path.endsWith('/status') ? failure(403, 'Forbidden', 'approvalrequests.rollouts-cv.io "r1-approval" is forbidden') : undefined));
    await expect(approveRun(asBob(), { run: 'r1', reject: false }, capture())).rejects.toThrow(/^cannot update the status of approvalrequests releases\/r1-approval: HTTP 403/);
    stop();
  });
});
