// `gitUpdate` and `gitRevert`: the release-repository write that is a stage's unit of change, and its undoing in
// the stage's rollback. The commit id is the gitUpdate step's output (`commit`), which its revert and later steps
// read; both are made once per step key (release-repo.ts). With `pullRequest`, the commit goes through a pull
// request on GitHub or GitLab (forges/pull-request.ts), opened and, unless told otherwise, merged; its revert goes
// the same way, or closes the pull request when it was never merged.
import { clip } from '../../text.js';
import type { RunRef, StepContext, StepExecutor, StepOutcome } from '../advance.js';
import { forgeToken, gitCredentials, type SecretReader } from '../credentials.js';
import { type Forge, openForge } from '../forges/index.js';
import { deliverThroughPullRequest, type PullRequestPlan } from '../forges/pull-request.js';
import { commitValues, type ReleaseRepo, revertCommit } from '../release-repo.js';
import { stepsOf, type StepSpec } from '../spec.js';
import type { StepRecord } from '../status.js';
import { render, type TemplateScope } from '../template.js';

/** How long one request to a forge may take. */
const FORGE_REQUEST_TIMEOUT_MS = 30_000;
const TITLE_MAX = 255;

export interface ReleaseRepoDeps {
  readSecret: SecretReader;
  /** Who the commits are by. */
  author: { name: string; email: string };
  /** How long one request to a forge may take (default 30 s). */
  forgeRequestTimeoutMs?: number;
}

type GitUpdate = NonNullable<StepSpec['gitUpdate']>;
type PullRequestSpec = NonNullable<GitUpdate['pullRequest']>;

async function repoOf(deps: ReleaseRepoDeps, namespace: string, step: StepSpec): Promise<ReleaseRepo> {
  const { repository } = step.gitUpdate!;
  return { url: repository.url, branch: repository.branch, credentials: await gitCredentials(deps.readSecret, namespace, repository) };
}

/** The forge of the repository's pull requests, with the token of the repository's Secret (which must allow the API too). */
async function forgeOf(deps: ReleaseRepoDeps, namespace: string, spec: GitUpdate, pullRequest: PullRequestSpec): Promise<{ forge: Forge; secret: string }> {
  const { api, token, secret } = await forgeToken(deps.readSecret, namespace, { credentialsSecret: spec.repository.credentialsSecret! }, pullRequest.apiUrl);
  return { forge: openForge({ provider: pullRequest.provider, api, token, repoUrl: spec.repository.url, timeoutMs: deps.forgeRequestTimeoutMs ?? FORGE_REQUEST_TIMEOUT_MS }), secret };
}

/** The update's pull request title: the one given, else the commit message's first line. */
function titleOf(spec: GitUpdate, pullRequest: PullRequestSpec, scope: TemplateScope): string {
  const title = pullRequest.title === undefined ? render(spec.message, scope).split('\n')[0]! : render(pullRequest.title, scope);
  return clip(title.replace(/\s+/g, ' ').trim(), TITLE_MAX) || 'Release';
}

const madeBy = ({ run, stage }: StepContext, step: string) => `Made by rollouts-cv for PipelineRun ${run.namespace}/${run.name}, stage ${stage.name}, step ${step}.`;

async function planOf(deps: ReleaseRepoDeps, run: RunRef, spec: GitUpdate, pullRequest: PullRequestSpec, key: string) {
  const { forge, secret } = await forgeOf(deps, run.namespace, spec, pullRequest);
  const { merge, mergeMethod, timeout } = pullRequest;
  return { forge, secret, base: spec.repository.branch, key, merge, mergeMethod, timeout } satisfies Partial<PullRequestPlan>;
}

export function releaseRepoSteps(deps: ReleaseRepoDeps): { gitUpdate: StepExecutor; gitRevert: StepExecutor } {
  return {
    gitUpdate: async (step, record, context) => {
      const { run, key, scope, now } = context;
      const spec = step.gitUpdate!;
      const repo = await repoOf(deps, run.namespace, step);
      const files = spec.files.map((file) => ({ path: file.path, document: file.document, set: file.set.map((edit) => ({ path: edit.path, value: render(edit.value, scope) })) }));
      const request = { files, message: render(spec.message, scope), author: deps.author, key, allowEmpty: spec.allowEmpty };
      const nothing = `the values were already set on ${repo.branch} of ${repo.url}: nothing to commit`;
      if (spec.pullRequest) {
        const plan = await planOf(deps, run, spec, spec.pullRequest, key);
        const body = spec.pullRequest.body === undefined ? madeBy(context, step.name) : render(spec.pullRequest.body, scope);
        return deliverThroughPullRequest({ ...plan, title: titleOf(spec, spec.pullRequest, scope), body, nothing, push: (head) => commitValues(repo, { ...request, pushTo: head }) }, record, now);
      }
      const result = await commitValues(repo, request);
      if (!result.commit) return { phase: 'Succeeded', message: nothing };
      const how = result.pushed ? 'committed' : 'found its earlier commit';
      return { phase: 'Succeeded', message: `${how} ${result.commit.slice(0, 12)} on ${repo.branch} of ${repo.url}`, outputs: { commit: result.commit } };
    },
    gitRevert: async (step, record, context) => {
      const { run, stage, key, scope } = context;
      const target = step.gitRevert!.step;
      const update = stage.steps.flatMap(stepsOf).find((s) => s.name === target)!;
      const made = scope.steps[stage.name]?.[target];
      if (update.gitUpdate!.pullRequest) return revertThroughPullRequest(deps, step, record, context, update, made);
      const commit = made?.commit;
      if (!commit) return { phase: 'Succeeded', message: `step ${target} made no commit: nothing to revert` };
      const repo = await repoOf(deps, run.namespace, update);
      const result = await revertCommit(repo, { commit, key, author: deps.author });
      const how = result.pushed ? 'reverted' : 'found the earlier revert of';
      return { phase: 'Succeeded', message: `${how} ${commit.slice(0, 12)} on ${repo.branch} of ${repo.url} (${result.commit!.slice(0, 12)})`, outputs: { commit: result.commit! } };
    },
  };
}

/**
 * Rolls back an update that went through a pull request, through a pull request of its own (a protected branch
 * takes no direct push): a merged one is reverted; one that never merged is closed, since nothing reached the branch.
 */
async function revertThroughPullRequest(
  deps: ReleaseRepoDeps,
  step: StepSpec,
  record: Readonly<StepRecord>,
  context: StepContext,
  update: StepSpec,
  made: Record<string, string> | undefined,
): Promise<StepOutcome> {
  const { run, key, scope, now } = context;
  const spec = update.gitUpdate!;
  const pullRequest = spec.pullRequest!;
  const number = Number(made?.number);
  if (!Number.isSafeInteger(number) || number <= 0) return { phase: 'Succeeded', message: `step ${update.name} opened no pull request: nothing to revert` };
  const repo = await repoOf(deps, run.namespace, update);
  const plan = await planOf(deps, run, spec, pullRequest, key);
  const { forge } = plan;
  let commit = '';
  const before = async (): Promise<StepOutcome | undefined> => {
    const original = await forge.get(number);
    const named = `${forge.label(number)} (${original.url})`;
    if (original.state === 'closed') return { phase: 'Succeeded', message: `${named} was closed without being merged: nothing to revert` };
    if (original.state === 'open') {
      await forge.close(number);
      return { phase: 'Succeeded', message: `closed ${named}, which was not merged: nothing had reached ${repo.branch}` };
    }
    commit = original.mergeCommit ?? original.headSha;
    return undefined;
  };
  const title = clip(`Revert "${titleOf(spec, pullRequest, scope)}"`, TITLE_MAX);
  return deliverThroughPullRequest(
    {
      ...plan,
      title,
      body: `Reverts ${forge.label(number)}. ${madeBy(context, step.name)}`,
      before,
      nothing: 'nothing to revert',
      push: (head) => revertCommit(repo, { commit, key, author: deps.author, pushTo: head }),
    },
    record,
    now,
  );
}
