// `gitUpdate` and `gitRevert`: the release-repository write that is a stage's unit of change, and its undoing in
// the stage's rollback. The commit id is the gitUpdate step's output (`commit`), which its revert and later steps
// read; both are made once per step key (release-repo.ts).
import type { StepExecutor } from '../advance.js';
import { gitCredentials, type SecretReader } from '../credentials.js';
import { commitValues, type ReleaseRepo, revertCommit } from '../release-repo.js';
import { stepsOf, type StepSpec } from '../spec.js';
import { render } from '../template.js';

export interface ReleaseRepoDeps {
  readSecret: SecretReader;
  /** Who the commits are by. */
  author: { name: string; email: string };
}

async function repoOf(deps: ReleaseRepoDeps, namespace: string, step: StepSpec): Promise<ReleaseRepo> {
  const { repository } = step.gitUpdate!;
  return { url: repository.url, branch: repository.branch, credentials: await gitCredentials(deps.readSecret, namespace, repository) };
}

export function releaseRepoSteps(deps: ReleaseRepoDeps): { gitUpdate: StepExecutor; gitRevert: StepExecutor } {
  return {
    gitUpdate: async (step, _record, { run, key, scope }) => {
      const spec = step.gitUpdate!;
      const repo = await repoOf(deps, run.namespace, step);
      const files = spec.files.map((file) => ({ path: file.path, document: file.document, set: file.set.map((edit) => ({ path: edit.path, value: render(edit.value, scope) })) }));
      const result = await commitValues(repo, { files, message: render(spec.message, scope), author: deps.author, key, allowEmpty: spec.allowEmpty });
      if (!result.commit) return { phase: 'Succeeded', message: `the values were already set on ${repo.branch} of ${repo.url}: nothing to commit` };
      const how = result.pushed ? 'committed' : 'found its earlier commit';
      return { phase: 'Succeeded', message: `${how} ${result.commit.slice(0, 12)} on ${repo.branch} of ${repo.url}`, outputs: { commit: result.commit } };
    },
    gitRevert: async (step, _record, { run, stage, key, scope }) => {
      const target = step.gitRevert!.step;
      const update = stage.steps.flatMap(stepsOf).find((s) => s.name === target)!;
      const commit = scope.steps[stage.name]?.[target]?.commit;
      if (!commit) return { phase: 'Succeeded', message: `step ${target} made no commit: nothing to revert` };
      const repo = await repoOf(deps, run.namespace, update);
      const result = await revertCommit(repo, { commit, key, author: deps.author });
      const how = result.pushed ? 'reverted' : 'found the earlier revert of';
      return { phase: 'Succeeded', message: `${how} ${commit.slice(0, 12)} on ${repo.branch} of ${repo.url} (${result.commit!.slice(0, 12)})`, outputs: { commit: result.commit! } };
    },
  };
}
