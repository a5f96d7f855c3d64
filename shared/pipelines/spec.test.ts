import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, parsePipelineSpec, stepsOf, stepType } from './spec.js';

const EXAMPLE = parse(readFileSync(new URL('../../docs/examples/pipeline-loans-api.yaml', import.meta.url), 'utf8'), { merge: true }) as { spec: Record<string, unknown> };

const minimal = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ variables: [{ name: 'image', required: true }], stages: [{ name: 'dev', steps, ...extra }] });
const errorsOf = (raw: unknown): string[] => {
  try {
    parsePipelineSpec(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
};

describe('parsePipelineSpec', () => {
  it('reads the reference release (docs/examples/pipeline-loans-api.yaml) with its defaults', () => {
    const spec = parsePipelineSpec(EXAMPLE.spec);
    expect(spec.stages.map((s) => s.name)).toEqual(['dev', 'qa', 'approve-prod-na', 'prod-na', 'approve-prod-highreg', 'prod-highreg']);
    const prodNa = spec.stages[3]!;
    expect(prodNa.steps.flatMap(stepsOf).map(stepType)).toEqual(['gitUpdate', 'sync', 'rollout', 'verify', 'rollout', 'rollout', 'verify', 'wait', 'rollout', 'rollout', 'verify', 'rollout', 'issue']);
    expect(prodNa.rollback.map(stepType)).toEqual(['rollout', 'gitRevert', 'sync', 'issue']);
    const sync = stepsOf(prodNa.steps[1]!)[0]!.sync!;
    expect(sync).toEqual({ application: 'prod-na-loans-api', namespace: 'argocd', prune: false, health: ['Suspended', 'Healthy'], timeout: 600_000 });
    expect(stepsOf(prodNa.steps[3]!)[0]!.onFailure).toEqual({
      verificationFailed: { manualIntervention: { timeout: 7_200_000, onTimeout: 'rollback' } },
      error: { manualIntervention: { timeout: 7_200_000, onTimeout: 'ignore' } },
    });
    expect(spec.stages[2]!.steps[0]).toMatchObject({ approval: { minApprovals: 1, allowSelfApproval: false, timeout: 86_400_000, onTimeout: 'reject' } });
    expect(stepsOf(spec.stages[0]!.steps[0]!).map((s) => s.name)).toEqual(['update-release-repo', 'tracking-issue']);
  });

  it('needs exactly one type per step', () => {
    expect(errorsOf(minimal([{ name: 'a' }]))).toEqual(['spec.stages[0].steps[0]: expected exactly one of gitUpdate, gitRevert, sync, rollout, verify, approval, issue, webhook, wait; got none']);
    expect(errorsOf(minimal([{ name: 'a', wait: { duration: '1m' }, sync: { application: 'x' } }]))).toEqual([expect.stringContaining('got sync, wait')]);
  });

  it('names the field and the expected form', () => {
    expect(errorsOf(minimal([{ name: 'Verify 10%', wait: { duration: '1m' } }]))).toEqual([expect.stringMatching(/^spec\.stages\[0\]\.steps\[0\]\.name: expected a lowercase name/)]);
    expect(errorsOf(minimal([{ name: 'w', wait: { duration: 'soon' } }]))).toEqual(['spec.stages[0].steps[0].wait.duration: expected a duration such as "90s", "1m30s" or "5m"; got "soon"']);
    expect(errorsOf(minimal([{ name: 'w', wait: { duration: '1m', extra: 1 } }]))).toEqual([expect.stringContaining('spec.stages[0].steps[0].wait: unknown key "extra"')]);
    expect(errorsOf(minimal([{ name: 'r', rollout: { name: 'loans-api' } }]))).toEqual(['spec.stages[0].steps[0].rollout: expected waitFor, action or both']);
    expect(errorsOf({ stages: [] })).toEqual(['spec.stages: expected at least 1 item; got none']);
    expect(errorsOf(minimal([{ name: 'w', wait: { duration: '1m' }, onFailure: 'panic' }]))).toEqual([
      expect.stringMatching(/^spec\.stages\[0\]\.steps\[0\]\.onFailure: expected rollback, ignore, abort or \{manualIntervention/),
    ]);
    const w = (name: string) => ({ name, wait: { duration: '1m' } });
    expect(errorsOf(minimal([{ name: 'both', parallel: [w('a'), w('b')], wait: { duration: '1m' } }]))).toEqual(['spec.stages[0].steps[0]: a parallel group has only a name and its steps; got wait too']);
    expect(errorsOf(minimal([{ name: 'both', parallel: [w('a'), { name: 'b' }] }]))).toEqual([expect.stringContaining('spec.stages[0].steps[0].parallel[1]: expected exactly one of')]);
  });

  it('refuses names used twice where they are looked up', () => {
    const w = { wait: { duration: '1m' } };
    expect(errorsOf(minimal([{ name: 'a', ...w }, { name: 'a', ...w }]))).toEqual(['spec.stages[0].steps[1].name: step "a" is named twice in stage "dev"']);
    expect(errorsOf({ stages: [{ name: 'dev', steps: [{ name: 'a', ...w }] }, { name: 'dev', steps: [{ name: 'a', ...w }] }] })).toEqual(['spec.stages[1].name: stage "dev" is named twice']);
    expect(errorsOf({ variables: [{ name: 'x' }, { name: 'x' }], stages: [{ name: 'dev', steps: [{ name: 'a', ...w }] }] })).toEqual(['spec.variables[1].name: "x" is declared twice']);
  });

  it('checks references: declared variables, outputs of steps that run before, known forms', () => {
    const comment = (key: string) => ({ name: 'c', issue: { jira: { url: 'https://j.example', credentialsSecret: { name: 'j' } }, action: 'comment', key, comment: 'hi' } });
    expect(errorsOf(minimal([comment('${{ vars.tag }}')]))).toEqual(['spec.stages[0].steps[0].issue.key: "tag" is not a variable of this pipeline (variables: image)']);
    expect(errorsOf(minimal([comment('${{ steps.dev.later.outputs.key }}'), { name: 'later', wait: { duration: '1m' } }]))).toEqual([
      'spec.stages[0].steps[0].issue.key: step dev/later does not run before this one',
    ]);
    expect(errorsOf(minimal([comment('${{ env.HOME }}')]))).toEqual([expect.stringContaining('"${{ env.HOME }}" is not a reference this pipeline can fill')]);
    expect(errorsOf(minimal([{ name: 'first', wait: { duration: '1m' } }, comment('${{ steps.dev.first.outputs.key }} ${{ run.url }}')]))).toEqual([]);
  });

  it('needs project and summary to create an issue, key and comment to comment, and names a field the action does not use', () => {
    const issue = (fields: Record<string, unknown>) => minimal([{ name: 'i', issue: { jira: { url: 'https://j.example', credentialsSecret: { name: 'j' } }, ...fields } }]);
    expect(errorsOf(issue({ action: 'create', summary: 's' }))).toEqual(['spec.stages[0].steps[0].issue.project: is required with action create']);
    expect(errorsOf(issue({ action: 'create', project: 'LOANS' }))).toEqual(['spec.stages[0].steps[0].issue.summary: is required with action create']);
    expect(errorsOf(issue({ action: 'comment', comment: 'c' }))).toEqual(['spec.stages[0].steps[0].issue.key: is required with action comment']);
    expect(errorsOf(issue({ action: 'comment', key: 'LOANS-1' }))).toEqual(['spec.stages[0].steps[0].issue.comment: is required with action comment']);
    expect(errorsOf(issue({ action: 'comment', key: 'LOANS-1', comment: 'c', summary: 's' }))).toEqual(['spec.stages[0].steps[0].issue.summary: is not used by action comment (only by create)']);
    expect(errorsOf(issue({ action: 'create', project: 'loans', summary: 's' }))).toEqual([expect.stringMatching(/^spec\.stages\[0\]\.steps\[0\]\.issue\.project: expected a Jira project key/)]);
    expect(errorsOf(issue({ action: 'create', project: 'LOANS', summary: 's', description: 'd' }))).toEqual([]);
  });

  it('refuses references in fields used as written (a URL, a path, a name)', () => {
    const update = (path: string) => ({ name: 'u', gitUpdate: { repository: { url: 'https://git.example/r.git' }, files: [{ path, set: [{ path: 'a', value: '${{ vars.image }}' }] }], message: 'm' } });
    expect(errorsOf(minimal([update('apps/${{ vars.image }}/x.yaml')]))).toEqual([expect.stringMatching(/^spec\.stages\[0\]\.steps\[0\]\.gitUpdate\.files\[0\]\.path: references are not filled in here/)]);
    expect(errorsOf(minimal([update('apps/x.yaml')]))).toEqual([]);
  });

  it('reads a gitUpdate pull request with its defaults, and names what is wrong in one', () => {
    const update = (pullRequest: unknown, repository: Record<string, unknown> = { credentialsSecret: { name: 'token' } }) =>
      minimal([{ name: 'u', gitUpdate: { repository: { url: 'https://git.example/platform/r.git', ...repository }, files: [{ path: 'a.yaml', set: [{ path: 'a', value: 'b' }] }], message: 'm', pullRequest } }]);
    const parsed = (pullRequest: unknown) => stepsOf(parsePipelineSpec(update(pullRequest)).stages[0]!.steps[0]!)[0]!.gitUpdate!.pullRequest;
    expect(parsed({ provider: 'github' })).toEqual({ provider: 'github', apiUrl: 'https://api.github.com', merge: true, mergeMethod: 'merge', timeout: 1_800_000 });
    expect(parsed({ provider: 'gitlab', apiUrl: 'https://gitlab.example/api/v4/', merge: false, mergeMethod: 'squash', timeout: '2h' })).toEqual({
      provider: 'gitlab',
      apiUrl: 'https://gitlab.example/api/v4',
      merge: false,
      mergeMethod: 'squash',
      timeout: 7_200_000,
    });
    expect(parsed({ provider: 'gitlab', title: 'Release ${{ vars.image }}', body: 'By ${{ run.triggeredBy }}' })).toMatchObject({ apiUrl: 'https://gitlab.com/api/v4', title: 'Release ${{ vars.image }}' });
    const at = 'spec.stages[0].steps[0].gitUpdate';
    expect(errorsOf(update({ provider: 'bitbucket' }))).toEqual([`${at}.pullRequest.provider: expected one of github, gitlab; got "bitbucket"`]);
    expect(errorsOf(update({ provider: 'gitlab', mergeMethod: 'rebase' }))).toEqual([`${at}.pullRequest.mergeMethod: expected merge or squash with provider gitlab (a GitLab project sets fast-forward or rebase merges itself)`]);
    expect(errorsOf(update({ provider: 'gitlab', apiUrl: 'https://gitlab.example' }))).toEqual([
      `${at}.pullRequest.apiUrl: expected GitLab's API address, ending in /api/v4, e.g. https://gitlab.example/api/v4; got "https://gitlab.example"`,
    ]);
    expect(errorsOf(update({ provider: 'github', apiUrl: 'ftp://ghe.example' }))).toEqual([expect.stringMatching(/^spec\.stages\[0\]\.steps\[0\]\.gitUpdate\.pullRequest\.apiUrl: expected the forge API's http\(s\):\/\/ address/)]);
    expect(errorsOf(update({ provider: 'github', merge: 'yes' }))).toEqual([`${at}.pullRequest.merge: expected true or false; got "yes"`]);
    expect(errorsOf(update({ provider: 'github', reviewers: ['ana'] }))).toEqual([expect.stringContaining(`${at}.pullRequest: unknown key "reviewers"`)]);
    expect(errorsOf(update({ provider: 'github' }, {}))).toEqual([`${at}.repository.credentialsSecret: is required with pullRequest: the forge API's token is read from it`]);
    expect(errorsOf(update({ provider: 'github', title: '${{ vars.tag }}' }))).toEqual([`${at}.pullRequest.title: "tag" is not a variable of this pipeline (variables: image)`]);
    expect(errorsOf(update({ provider: 'github', apiUrl: 'https://${{ vars.image }}.example' }))).toContainEqual(expect.stringMatching(/gitUpdate\.pullRequest\.apiUrl: references are not filled in here/));
  });

  it('reverts only a gitUpdate of the same stage, and only as a rollback step', () => {
    expect(errorsOf(minimal([{ name: 'w', wait: { duration: '1m' } }], { rollback: [{ name: 'r', gitRevert: { step: 'w' } }] }))).toEqual([
      'spec.stages[0].rollback[0].gitRevert.step: "w" is not a gitUpdate step of stage "dev"',
    ]);
    expect(errorsOf(minimal([{ name: 'w', wait: { duration: '1m' } }, { name: 'r', gitRevert: { step: 'w' } }]))).toEqual([
      'spec.stages[0].steps: step "r": gitRevert belongs in the stage\'s rollback steps',
    ]);
  });
});
