// Every action against a recording fake API server: the exact requests (method, path, content type, body) that
// `kubectl argo rollouts` v1.10.1 sends, in order, and the refusals and errors.
import { readFileSync } from 'node:fs';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, status, type FakeKubeApi, type FakeResponse, type RecordedRequest } from '../../test/helpers/fake-kube-api.js';
import { makeApiClient } from './client.js';
import { abort, pause, promote, restart, resume, retry, setImage, undo } from './rollout-actions.js';
import type { Rollout, Workload } from './rollout-types.js';

const fixture = (name: string): Rollout => JSON.parse(readFileSync(new URL(`../../test/fixtures/rollouts/${name}.json`, import.meta.url), 'utf8')) as Rollout;

const ref = { namespace: 'actions', name: 'web' };
const ROLLOUT = '/apis/argoproj.io/v1alpha1/namespaces/actions/rollouts/web';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

let server: FakeKubeApi;
let api: CustomObjectsApi;
/** What the server answers GETs of the Rollout with: the last one is repeated. */
let served: Rollout[];
let overrides: Record<string, FakeResponse[]>;

beforeAll(async () => {
  server = await startFakeKubeApi(respond);
  api = makeApiClient(server.kubeConfig(), CustomObjectsApi);
});
afterAll(() => server.close());
beforeEach(() => {
  served = [];
  overrides = {};
  server.requests.length = 0;
});

function respond(request: RecordedRequest): FakeResponse | undefined {
  const queued = overrides[`${request.method} ${request.path}`];
  if (queued?.length) return queued.shift();
  if (request.path === ROLLOUT || request.path === `${ROLLOUT}/status`) {
    if (served.length === 0) return undefined;
    if (request.method !== 'GET') return { body: request.body ?? served[0] };
    return { body: served.length > 1 ? served.shift()! : served[0]! };
  }
  return undefined;
}

/** Answers `method path` with these responses, in turn. */
const answer = (method: string, path: string, ...responses: FakeResponse[]) => {
  overrides[`${method} ${path}`] = responses;
};

/** The requests sent: method, path (and query), content type of writes, body of writes. */
const sent = () =>
  server.requests.map((r) => {
    const path = r.query.size ? `${r.path}?${r.query}` : r.path;
    return r.method === 'GET' ? ['GET', path] : [r.method, path, r.contentType, r.body];
  });

const edit = (name: string, change: (r: Rollout) => void): Rollout => {
  const rollout = fixture(name);
  change(rollout);
  return rollout;
};

describe('abort / retry', () => {
  it('abort: a merge patch of the status subresource', async () => {
    served = [fixture('canary-paused-step')];
    expect(await abort(api, ref)).toBe("rollout 'actions/web' aborted (update to 6bb8c57c5d; back to stable 5444c58bc)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { abort: true } }],
    ]);
  });

  it('abort refuses an aborted or fully promoted rollout', async () => {
    served = [fixture('canary-aborted')];
    await expect(abort(api, ref)).rejects.toMatchObject({ code: 'NotApplicable', message: "rollout 'actions/web' is already aborted" });
    served = [fixture('canary-healthy')];
    await expect(abort(api, ref)).rejects.toThrow("rollout 'actions/web' is fully promoted: there is no update to abort");
    expect(sent().every(([method]) => method === 'GET')).toBe(true);
  });

  it('retry: abort false in the status subresource, only for an aborted rollout', async () => {
    served = [fixture('canary-aborted')];
    expect(await retry(api, ref)).toBe("rollout 'actions/web' retried (update to 6bb8c57c5d)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { abort: false } }],
    ]);
    server.requests.length = 0;
    served = [fixture('canary-paused-step')];
    await expect(retry(api, ref)).rejects.toThrow("rollout 'actions/web' is not aborted: only an aborted rollout can be retried");
    expect(sent()).toEqual([['GET', ROLLOUT]]);
  });
});

describe('pause / resume / restart', () => {
  it('pause: spec.paused true, refused when already paused', async () => {
    served = [fixture('canary-paused-step')];
    expect(await pause(api, ref)).toBe("rollout 'actions/web' paused at step 1/3");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', ROLLOUT, MERGE, { spec: { paused: true } }],
    ]);
    served = [fixture('canary-manually-paused')];
    await expect(pause(api, ref)).rejects.toThrow("rollout 'actions/web' is already paused");
  });

  it('resume: spec.paused false, refused when not paused (pointing at promote for a pause step)', async () => {
    served = [fixture('canary-manually-paused')];
    expect(await resume(api, ref)).toBe("rollout 'actions/web' resumed at step 1/3");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', ROLLOUT, MERGE, { spec: { paused: false } }],
    ]);
    served = [fixture('canary-paused-step')];
    await expect(resume(api, ref)).rejects.toThrow("rollout 'actions/web' is not paused by a person (it waits on a step: promote it)");
    served = [fixture('canary-healthy')];
    await expect(resume(api, ref)).rejects.toThrow(/^rollout 'actions\/web' is not paused$/);
  });

  it('restart: spec.restartAt, RFC 3339 in UTC to the second', async () => {
    served = [fixture('canary-healthy')];
    expect(await restart(api, ref, { at: new Date('2026-11-26T19:53:10.987Z') })).toBe("rollout 'actions/web' restarts its pods (restartAt 2026-11-26T19:53:10Z)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', ROLLOUT, MERGE, { spec: { restartAt: '2026-11-26T19:53:10Z' } }],
    ]);
  });
});

describe('promote', () => {
  /** The Rollout as the controller leaves it once it has acted: at `index`, paused there by a pause step or not. */
  const movedTo = (index: number, paused: { phase: string; message: string } = { phase: 'Paused', message: 'CanaryPauseStep' }) =>
    edit('canary-paused-step', (r) => {
      r.metadata.resourceVersion = '9001';
      r.status!.currentStepIndex = index;
      r.status!.phase = paused.phase;
      r.status!.message = paused.message;
      if (paused.phase !== 'Paused') {
        r.status!.pauseConditions = [];
        r.status!.controllerPause = false;
      }
    });

  it('at a pause step: clears the pause conditions in the status subresource, then says where the controller took it', async () => {
    served = [fixture('canary-paused-step'), movedTo(2)];
    expect(await promote(api, ref)).toBe("rollout 'actions/web' promoted from step 1/3 to step 2/3; now Paused (CanaryPauseStep)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { pauseConditions: null } }],
      ['GET', ROLLOUT],
    ]);
  });

  it('manually paused at a pause step: unpauses first (spec patch), then the status patch, so that the pause does not return', async () => {
    served = [fixture('canary-manually-paused'), movedTo(2)];
    expect(await promote(api, ref)).toBe("rollout 'actions/web' unpaused and promoted from step 1/3 to step 2/3; now Paused (CanaryPauseStep)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', ROLLOUT, MERGE, { spec: { paused: false } }],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { pauseConditions: null } }],
      ['GET', ROLLOUT],
    ]);
  });

  it('says so, as a failure, when the controller kept the rollout where it was', async () => {
    const stayed = edit('canary-paused-step', (r) => (r.metadata.resourceVersion = '9001'));
    served = [fixture('canary-manually-paused'), stayed];
    await expect(promote(api, ref)).rejects.toMatchObject({
      code: 'NoEffect',
      message: "rollout 'actions/web' not promoted: the controller kept it at step 1/3, Paused (CanaryPauseStep) (it was unpaused)",
    });
    served = [fixture('canary-paused-step'), stayed];
    await expect(promote(api, ref)).rejects.toThrow("rollout 'actions/web' not promoted: the controller kept it at step 1/3, Paused (CanaryPauseStep)");
  });

  it('at an inconclusive step analysis: clears the controller pause and moves to the next step', async () => {
    served = [
      edit('canary-paused-step', (r) => {
        r.status!.pauseConditions = [{ reason: 'InconclusiveAnalysisRun' }];
        r.status!.canary = { currentStepAnalysisRunStatus: { name: 'web-6bb8c57c5d-2-1', status: 'Inconclusive' } };
      }),
      movedTo(2),
    ];
    expect(await promote(api, ref)).toBe("rollout 'actions/web' promoted from step 1/3 to step 2/3; now Paused (CanaryPauseStep)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { pauseConditions: null, controllerPause: false, currentStepIndex: 2 } }],
      ['GET', ROLLOUT],
    ]);
  });

  it('in the middle of a step: skips it (the index capped at the number of steps); waits until the controller wrote after it', async () => {
    const ours = edit('canary-undone', (r) => {
      r.metadata.resourceVersion = '500';
      r.status!.currentStepIndex = 1;
    });
    // the status patch's own result has no pause to wait out: only a newer write tells that the controller acted
    answer('PATCH', `${ROLLOUT}/status`, { body: ours });
    served = [fixture('canary-undone'), ours, ours, movedTo(1, { phase: 'Progressing', message: 'more replicas need to be updated' })];
    expect(await promote(api, ref, { pollMs: 10 })).toBe("rollout 'actions/web' promoted from step 0/3 to step 1/3; now Progressing (more replicas need to be updated)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { pauseConditions: null, currentStepIndex: 1 } }],
      ['GET', ROLLOUT],
      ['GET', ROLLOUT],
      ['GET', ROLLOUT],
    ]);
    server.requests.length = 0;
    served = [edit('canary-undone', (r) => (r.status!.currentStepIndex = 3)), movedTo(3, { phase: 'Progressing', message: 'more replicas need to be updated' })];
    await expect(promote(api, ref)).rejects.toMatchObject({ code: 'NoEffect' });
    expect(sent()[1]).toEqual(['PATCH', `${ROLLOUT}/status`, MERGE, { status: { pauseConditions: null, currentStepIndex: 3 } }]);
  });

  it('--full: unpause, then promoteFull in the status subresource; refused when fully promoted and not paused', async () => {
    served = [fixture('canary-manually-paused'), movedTo(3, { phase: 'Progressing', message: 'updated replicas are still becoming available' })];
    expect(await promote(api, ref, { full: true })).toBe(
      "rollout 'actions/web' unpaused and fully promoted from step 1/3 to step 3/3; now Progressing (updated replicas are still becoming available)",
    );
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PATCH', ROLLOUT, MERGE, { spec: { paused: false } }],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { promoteFull: true } }],
      ['GET', ROLLOUT],
    ]);
    server.requests.length = 0;
    served = [fixture('canary-healthy')];
    await expect(promote(api, ref, { full: true })).rejects.toMatchObject({ code: 'NotApplicable', message: "rollout 'actions/web' is already fully promoted" });
    await expect(promote(api, ref)).rejects.toThrow("rollout 'actions/web' is already fully promoted");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['GET', ROLLOUT],
    ]);
  });

  it('a fully promoted but manually paused rollout is only unpaused by --full', async () => {
    served = [edit('canary-healthy', (r) => (r.spec.paused = true)), fixture('canary-healthy')];
    expect(await promote(api, ref, { full: true })).toBe("rollout 'actions/web' unpaused; now Healthy");
    expect(sent().slice(1)).toEqual([['PATCH', ROLLOUT, MERGE, { spec: { paused: false } }], ['GET', ROLLOUT]]);
  });

  it('waits for the controller to observe the generation and to set its pause conditions, then decides', async () => {
    const unobserved = edit('canary-paused-step', (r) => (r.metadata.generation = 4));
    const unpausing = edit('canary-paused-step', (r) => (r.status!.pauseConditions = []));
    served = [unobserved, unpausing, fixture('canary-paused-step'), unpausing, movedTo(2)];
    expect(await promote(api, ref, { pollMs: 10 })).toBe("rollout 'actions/web' promoted from step 1/3 to step 2/3; now Paused (CanaryPauseStep)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['GET', ROLLOUT],
      ['GET', ROLLOUT],
      ['PATCH', `${ROLLOUT}/status`, MERGE, { status: { pauseConditions: null } }],
      // unpausing: the controller has not acted on the cleared pause yet
      ['GET', ROLLOUT],
      ['GET', ROLLOUT],
    ]);
  });

  it('gives up after the timeout, saying what it waited for, without patching', async () => {
    served = [edit('canary-paused-step', (r) => (r.metadata.generation = 4))];
    await expect(promote(api, ref, { timeoutMs: 200, pollMs: 20 })).rejects.toMatchObject({
      code: 'Timeout',
      message: "rollout 'actions/web' not promoted: the controller did not catch up within 0.2s (generation 4, observed 3, controllerPause true, 1 pause conditions)",
    });
    expect(sent().every(([method]) => method === 'GET')).toBe(true);
  });

  it('a controller that does not act on the promotion in time: says what was sent and where the rollout is', async () => {
    served = [fixture('canary-manually-paused'), edit('canary-paused-step', (r) => (r.status!.pauseConditions = []))];
    await expect(promote(api, ref, { timeoutMs: 200, pollMs: 20 })).rejects.toMatchObject({
      code: 'Timeout',
      message:
        "rollout 'actions/web': unpaused and cleared the pause conditions (CanaryPauseStep), but the controller has not acted on it within 0.2s: " +
        'step 1/3, Progressing (waiting for rollout to unpause)',
    });
  });
});

describe('set image', () => {
  const withImage = (rollout: Rollout, image: string) => {
    const copy = structuredClone(rollout);
    copy.spec.template!.spec!.containers![0]!.image = image;
    return copy;
  };

  it('GETs the Rollout and PUTs it whole with the new image', async () => {
    const rollout = fixture('canary-healthy');
    served = [rollout];
    answer('PUT', ROLLOUT, { body: rollout });
    expect(await setImage(api, ref, ['app=registry.invalid/e2e/app:3'])).toBe(
      "rollout 'actions/web' image updated: app=registry.invalid/e2e/app:3 (was registry.invalid/e2e/app:2)",
    );
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['PUT', ROLLOUT, 'application/json', withImage(rollout, 'registry.invalid/e2e/app:3')],
    ]);
  });

  it('retries on 409 from a fresh GET, up to 5 attempts in all', async () => {
    const rollout = fixture('canary-healthy');
    const conflict = { status: 409, body: status(409, 'Conflict', 'Operation cannot be fulfilled on rollouts.argoproj.io "web": the object has been modified') };
    served = [rollout];
    answer('PUT', ROLLOUT, conflict, conflict, { body: rollout });
    await setImage(api, ref, ['app=x:1']);
    expect(sent().map(([method]) => method)).toEqual(['GET', 'PUT', 'GET', 'PUT', 'GET', 'PUT']);

    server.requests.length = 0;
    answer('PUT', ROLLOUT, conflict, conflict, conflict, conflict, conflict, { body: rollout });
    await expect(setImage(api, ref, ['app=x:1'])).rejects.toMatchObject({
      code: 'Conflict',
      message:
        'update rollout actions/web: conflict: Operation cannot be fulfilled on rollouts.argoproj.io "web": the object has been modified (5 attempts, each from a fresh read)',
    });
    expect(sent().map(([method]) => method)).toEqual(['GET', 'PUT', 'GET', 'PUT', 'GET', 'PUT', 'GET', 'PUT', 'GET', 'PUT']);
  });

  it('with spec.workloadRef: GETs and PUTs the Deployment', async () => {
    const deploymentPath = '/apis/apps/v1/namespaces/actions/deployments/web-app';
    const deployment: Workload = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web-app', namespace: 'actions', resourceVersion: '12' },
      spec: { replicas: 0, template: { spec: { initContainers: [{ name: 'migrate', image: 'm:1' }], containers: [{ name: 'app', image: 'a:1' }, { name: 'proxy', image: 'p:1' }] } } },
    };
    served = [
      edit('canary-healthy', (r) => {
        delete r.spec.template;
        r.spec.workloadRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-app' };
      }),
    ];
    answer('GET', deploymentPath, { body: deployment });
    answer('PUT', deploymentPath, { body: deployment });
    expect(await setImage(api, ref, ['app=a:2', 'migrate=m:2'])).toBe(
      "deployment 'actions/web-app' (workload of rollout 'actions/web') image updated: app=a:2 (was a:1), migrate=m:2 (was m:1)",
    );
    const updated = structuredClone(deployment);
    updated.spec.template.spec!.containers![0]!.image = 'a:2';
    updated.spec.template.spec!.initContainers![0]!.image = 'm:2';
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['GET', deploymentPath],
      ['PUT', deploymentPath, 'application/json', updated],
    ]);
  });

  it('`*` sets every container; an unknown container or a malformed assignment is refused before any write', async () => {
    const rollout = edit('canary-healthy', (r) => r.spec.template!.spec!.containers!.push({ name: 'proxy', image: 'p:1' }));
    served = [rollout];
    answer('PUT', ROLLOUT, { body: rollout });
    expect(await setImage(api, ref, ['*=all:9'])).toBe("rollout 'actions/web' image updated: app=all:9 (was registry.invalid/e2e/app:2), proxy=all:9 (was p:1)");
    server.requests.length = 0;
    await expect(setImage(api, ref, ['sidecar=s:1'])).rejects.toMatchObject({ code: 'Invalid', message: 'unable to find container named "sidecar"' });
    await expect(setImage(api, ref, ['app'])).rejects.toThrow('expected container=image, got "app"');
    await expect(setImage(api, ref, [])).rejects.toThrow('set image needs at least one container=image');
    expect(sent()).toEqual([['GET', ROLLOUT]]);
  });
});

describe('undo', () => {
  const REPLICASETS = '/apis/apps/v1/namespaces/actions/replicasets';
  const rollout = fixture('canary-healthy'); // revision 2 (app:2), stable 6bb8c57c5d
  const uid = rollout.metadata.uid!;
  const replicaSet = (hash: string, revision: string | undefined, image: string, owner = uid): Workload => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'actions',
      ...(revision ? { annotations: { 'rollout.argoproj.io/revision': revision } } : {}),
      ownerReferences: [{ uid: owner, controller: true, kind: 'Rollout', name: 'web' }],
    },
    spec: {
      template: {
        // as the API server stores it: defaulted fields, and the hash label
        metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': hash } },
        spec: { containers: [{ name: 'app', image, resources: {}, imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
      },
    },
  });
  const history = [
    replicaSet('6bb8c57c5d', '2', 'registry.invalid/e2e/app:2'),
    replicaSet('5444c58bc', '1', 'registry.invalid/e2e/app:1'),
    replicaSet('0ther', '5', 'other:1', 'another-rollout'),
  ];

  it('lists the ReplicaSets by selector, keeps those the Rollout controls, JSON-patches in the previous template without the hash label', async () => {
    served = [rollout];
    answer('GET', REPLICASETS, { body: { items: history } });
    answer('PATCH', ROLLOUT, { body: rollout });
    expect(await undo(api, ref)).toBe("rollout 'actions/web' rolled back to revision 1 (template of ReplicaSet web-5444c58bc)");
    expect(sent()).toEqual([
      ['GET', ROLLOUT],
      ['GET', `${REPLICASETS}?labelSelector=app%3Dweb`],
      [
        'PATCH',
        ROLLOUT,
        JSON_PATCH,
        [
          {
            op: 'replace',
            path: '/spec/template',
            value: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:1', resources: {}, imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
            },
          },
        ],
      ],
    ]);
  });

  it('--to-revision: that revision; a missing one is named with the revisions there are', async () => {
    served = [rollout];
    answer('GET', REPLICASETS, { body: { items: history } });
    await expect(undo(api, ref, { toRevision: 7 })).rejects.toMatchObject({
      code: 'NotFound',
      message: "unable to find specified revision 7 in history of rollout 'actions/web' (revisions: 1, 2)",
    });
    answer('GET', REPLICASETS, { body: { items: history.slice(0, 1) } });
    await expect(undo(api, ref)).rejects.toThrow("no revision found for rollout 'actions/web' to go back to (revisions: 2)");
    expect(sent().every(([method]) => method === 'GET')).toBe(true);
  });

  it('skips the patch when the template already is the revision\'s', async () => {
    served = [rollout];
    answer('GET', REPLICASETS, { body: { items: history } });
    expect(await undo(api, ref, { toRevision: 2 })).toBe("skipped rollback of rollout 'actions/web' (current template already matches revision 2)");
    expect(sent().map(([method]) => method)).toEqual(['GET', 'GET']);
  });

  it('with spec.workloadRef: patches the Deployment; the selector\'s expressions go into the list query', async () => {
    served = [
      edit('canary-healthy', (r) => {
        delete r.spec.template;
        r.spec.workloadRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-app' };
        r.spec.selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'canary', operator: 'DoesNotExist' }] };
      }),
    ];
    answer('GET', REPLICASETS, { body: { items: history } });
    answer('PATCH', '/apis/apps/v1/namespaces/actions/deployments/web-app', { body: {} });
    expect(await undo(api, ref)).toBe("deployment 'actions/web-app' (workload of rollout 'actions/web') rolled back to revision 1");
    expect(server.requests[1]?.query.get('labelSelector')).toBe('app=web,tier in (a,b),!canary');
    expect(sent()[2]?.slice(0, 3)).toEqual(['PATCH', '/apis/apps/v1/namespaces/actions/deployments/web-app', JSON_PATCH]);
  });
});

describe('errors', () => {
  it('a missing Rollout is named, for every action', async () => {
    const actions = [
      () => abort(api, ref),
      () => retry(api, ref),
      () => pause(api, ref),
      () => resume(api, ref),
      () => restart(api, ref),
      () => promote(api, ref),
      () => promote(api, ref, { full: true }),
      () => setImage(api, ref, ['app=x:1']),
      () => undo(api, ref),
    ];
    for (const action of actions) await expect(action()).rejects.toMatchObject({ code: 'NotFound', message: "rollout 'actions/web' not found" });
    expect(sent()).toEqual(actions.map(() => ['GET', ROLLOUT]));
  });

  it('the API server\'s refusal (e.g. RBAC for an impersonated user) is passed on with its message', async () => {
    served = [fixture('canary-paused-step')];
    const message = 'rollouts.argoproj.io "web" is forbidden: User "slack:U1" cannot patch resource "rollouts/status" in API group "argoproj.io" in the namespace "actions"';
    answer('PATCH', `${ROLLOUT}/status`, { status: 403, body: status(403, 'Forbidden', message) });
    await expect(abort(api, ref)).rejects.toMatchObject({ code: 'Forbidden', message: `patch rollout actions/web status: 403 ${message}` });
  });
});
