// The Pipeline and PipelineRun CRDs in a real API server: the reference release is admitted, and the rules the API
// server can check (one type per step, unique names, rollback-only reverts, who started a run, an immutable run)
// refuse what breaks them with their message.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { run, waitFor } from './harness/processes.js';
import { clusterForFile } from './harness/suite.js';

const NAMESPACE = 'releases';
const cluster = clusterForFile(NAMESPACE);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = readFileSync(new URL('../../docs/examples/pipeline-loans-api.yaml', import.meta.url), 'utf8');

const pipeline = (name: string, stages: string) => `apiVersion: rollouts-cv.io/v1alpha1
kind: Pipeline
metadata: {name: ${name}, namespace: ${NAMESPACE}}
spec:
  stages:
${stages}`;

async function refused(yaml: string): Promise<string> {
  const error = await cluster
    .env()
    .kubectl.apply(yaml)
    .then(
      () => undefined,
      (e: unknown) => String(e),
    );
  expect(error, 'the API server admitted it').toBeDefined();
  return error!;
}

cluster.scenario('admits the reference release (docs/examples/pipeline-loans-api.yaml) and a run of it', async () => {
  const k = cluster.env().kubectl;
  await k.apply(EXAMPLE);
  const stored = await k.json<{ spec: { stages: { name: string }[] } }>(['-n', NAMESPACE, 'get', 'pipeline', 'loans-api-release']);
  expect(stored.spec.stages.map((s) => s.name)).toEqual(['dev', 'qa', 'approve-prod-na', 'prod-na', 'approve-prod-highreg', 'prod-highreg']);
  await k.apply(`apiVersion: rollouts-cv.io/v1alpha1
kind: PipelineRun
metadata: {name: loans-api-release-1, namespace: ${NAMESPACE}}
spec:
  pipelineRef: {name: loans-api-release}
  variables: {image: "registry.example/loans-api:2.4.0"}
  triggeredBy: {kind: slack, id: U012ABCDEF}
`);
  expect(await k.run(['-n', NAMESPACE, 'get', 'plr'])).toContain('loans-api-release-1');
  // A run is what was asked: it cannot be changed afterwards.
  expect(
    await refused(`apiVersion: rollouts-cv.io/v1alpha1
kind: PipelineRun
metadata: {name: loans-api-release-1, namespace: ${NAMESPACE}}
spec:
  pipelineRef: {name: loans-api-release}
  variables: {image: "registry.example/loans-api:6.6.6"}
  triggeredBy: {kind: slack, id: U012ABCDEF}
`),
  ).toContain('spec is immutable');
  expect(await refused(`apiVersion: rollouts-cv.io/v1alpha1\nkind: PipelineRun\nmetadata: {name: nobody, namespace: ${NAMESPACE}}\nspec:\n  pipelineRef: {name: loans-api-release}\n`)).toContain('triggeredBy');
});

cluster.scenario('refuses a step with two types or none, a parallel group with a type, a revert outside rollback, and names used twice', async () => {
  expect(await refused(pipeline('two-types', '    - name: dev\n      steps:\n        - {name: a, wait: {duration: 1m}, sync: {application: x}}\n'))).toContain('a step has exactly one of');
  expect(await refused(pipeline('no-type', '    - name: dev\n      steps:\n        - {name: a}\n'))).toContain('a step has exactly one of');
  expect(
    await refused(pipeline('group', '    - name: dev\n      steps:\n        - {name: g, wait: {duration: 1m}, parallel: [{name: a, wait: {duration: 1m}}, {name: b, wait: {duration: 1m}}]}\n')),
  ).toContain('a parallel group has only a name and its steps');
  expect(await refused(pipeline('revert', '    - name: dev\n      steps:\n        - {name: r, gitRevert: {step: u}}\n'))).toContain("gitRevert belongs in the stage's rollback steps");
  expect(await refused(pipeline('twice', '    - name: dev\n      steps: [{name: a, wait: {duration: 1m}}]\n    - name: dev\n      steps: [{name: b, wait: {duration: 1m}}]\n'))).toContain('duplicate entries for key');
  expect(await refused(pipeline('upper', '    - name: Dev\n      steps: [{name: a, wait: {duration: 1m}}]\n'))).toContain('should match');
});

cluster.scenario('admits a run only when it names whoever creates it (the chart\'s admission policy)', async () => {
  const k = cluster.env().kubectl;
  const helm = (await run('bash', [`${ROOT}scripts/helm.sh`], { timeoutMs: 900_000 })).stdout.trim();
  const policy = (await run(helm, ['template', 'rcv', `${ROOT}charts/rollouts-cv`, '--namespace', 'rollouts-cv', '--set', 'pipelines.enabled=true', '--show-only', 'templates/pipelines-admission.yaml'])).stdout;
  await k.apply(policy);
  // alice may create runs in the namespace; the policy decides what she may write in them.
  await k.apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: run-pipelines, namespace: ${NAMESPACE}}
rules: [{apiGroups: [rollouts-cv.io], resources: [pipelineruns], verbs: [create, get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-runs-pipelines, namespace: ${NAMESPACE}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: run-pipelines}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`);
  const runBy = (name: string, triggeredBy: string) => `apiVersion: rollouts-cv.io/v1alpha1
kind: PipelineRun
metadata: {name: ${name}, namespace: ${NAMESPACE}}
spec:
  pipelineRef: {name: loans-api-release}
  triggeredBy: ${triggeredBy}
`;
  const asAlice = (yaml: string) => k.run(['--as', 'alice', 'create', '-f', '-'], yaml).then(() => undefined, (e: unknown) => String(e));
  // The API server loads a new policy within seconds.
  const refused = await waitFor('the policy to take effect', () => asAlice(runBy('as-bob', '{kind: kubernetes, id: bob}')), 30_000);
  expect(refused).toContain('spec.triggeredBy.id must be your own user name (alice)');
  expect(await asAlice(runBy('as-slack', '{kind: slack, id: U012ABCDEF}'))).toContain('only the rollouts-cv Slack bot starts runs for Slack users');
  expect(await asAlice(runBy('as-alice', '{kind: kubernetes, id: alice}'))).toBeUndefined();
  expect(await k.run(['-n', NAMESPACE, 'get', 'plr', '-o', 'name'])).toContain('pipelinerun.rollouts-cv.io/as-alice');
});
