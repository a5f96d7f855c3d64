// A release repository's change delivered through a pull request, once per step key: the commit goes to a branch
// named after the key, the pull request from that branch is looked for before one is opened, and it is merged when
// the forge lets it — while checks run or reviews are missing the step answers Running and is looked at again, up to
// its timeout. Every look starts from what the forge and the repository hold, not from the step's status, so a
// controller that died anywhere neither opens a second pull request nor merges twice. Forge failures that pass (no
// answer, 429, 5xx) are tried again at later looks (http-retry.ts).
import { formatDuration } from '../../config/duration.js';
import type { StepOutcome } from '../advance.js';
import { passes, retryLater } from '../http-retry.js';
import type { CommitResult } from '../release-repo.js';
import type { StepRecord } from '../status.js';
import { stepMarker } from '../step-marker.js';
import { type Forge, ForgeError, type MergeMethod, type PullRequest } from './index.js';

/** How soon a pull request that cannot be merged yet is looked at again. */
const POLL_MS = 15_000;

export interface PullRequestPlan {
  forge: Forge;
  /** The branch it is merged into. */
  base: string;
  /** The step's once-only key. */
  key: string;
  title: string;
  body: string;
  merge: boolean;
  mergeMethod: MergeMethod;
  /** How long a pull request that is not mergeable yet is waited for, from the step's start. */
  timeout: number;
  /** The Secret the token came from, as messages name it. */
  secret: string;
  /**
   * What ends the look before anything is pushed, when there is no pull request from the step's branch yet (a
   * revert whose change never merged, say).
   */
  before?: () => Promise<StepOutcome | undefined>;
  /** Pushes the change to `head`, once (release-repo.ts); a null commit: there is nothing to change. */
  push(head: string): Promise<CommitResult>;
  /** The step's answer when there is nothing to change. */
  nothing: string;
}

/** The step's branch: `rollouts-cv/` and the key's marker digits, the same on every replica. */
export function headBranch(key: string): string {
  return stepMarker(key).replace(/^rollouts-cv-/, 'rollouts-cv/');
}

export async function deliverThroughPullRequest(plan: PullRequestPlan, record: Readonly<StepRecord>, now: Date): Promise<StepOutcome> {
  try {
    const head = headBranch(plan.key);
    let pr = await plan.forge.find(head);
    if (!pr) {
      const early = await plan.before?.();
      if (early) return early;
      const { commit } = await plan.push(head);
      if (!commit) return { phase: 'Succeeded', message: plan.nothing };
      pr = await plan.forge.open({ head, base: plan.base, title: plan.title, body: plan.body });
    }
    return await settle(plan, pr, record, now);
  } catch (error) {
    if (error instanceof ForgeError) return forgeFailure(error, plan, record, now);
    throw error;
  }
}

/** A pull request's URL and number, for later steps and the revert. */
const pullRequestOutputs = (pr: PullRequest, commit?: string): Record<string, string> => ({ ...(commit && { commit }), pullRequest: pr.url, number: String(pr.number) });

/** Merges `pr` when asked and the forge lets it; says where it stands otherwise. */
async function settle(plan: PullRequestPlan, pr: PullRequest, record: Readonly<StepRecord>, now: Date): Promise<StepOutcome> {
  const { forge } = plan;
  const named = (p: PullRequest) => `${forge.label(p.number)} (${p.url})`;
  const merged = (p: PullRequest, commit: string): StepOutcome => ({ phase: 'Succeeded', message: `${named(p)} is merged into ${plan.base}: ${commit.slice(0, 12)}`, outputs: pullRequestOutputs(p, commit) });
  const closed = (p: PullRequest): StepOutcome => ({ phase: 'Failed', failure: 'error', message: `${named(p)} was closed without being merged`, outputs: pullRequestOutputs(p) });
  if (pr.state === 'merged') return merged(pr, pr.mergeCommit ?? pr.headSha);
  if (pr.state === 'closed') return closed(pr);
  if (!plan.merge) {
    return { phase: 'Succeeded', message: `${named(pr)} into ${plan.base} is open, for people to merge`, outputs: pullRequestOutputs(pr, pr.headSha) };
  }
  const answer = await forge.merge(pr, plan.mergeMethod);
  if (answer.merged) return merged(pr, answer.commit);
  // Why it was not merged: the pull request as it is now says more than the refusal.
  const current = answer.why === 'headMoved' ? pr : await forge.get(pr.number);
  if (current.state === 'merged') return merged(current, current.mergeCommit ?? current.headSha);
  if (current.state === 'closed') return closed(current);
  const said = answer.said ? `: ${answer.said}` : '';
  if (answer.why === 'conflict' || current.mergeable === 'conflict') {
    return { phase: 'Failed', failure: 'error', message: `${named(current)} conflicts with ${plan.base}${said}; resolve it there, or roll back`, outputs: pullRequestOutputs(current) };
  }
  const why = answer.why === 'headMoved' ? `its head moved while it was being merged${said}` : `not mergeable yet (${current.detail})${said}`;
  const started = Date.parse(record.startedAt ?? now.toISOString());
  if (now.getTime() - started >= plan.timeout) {
    return { phase: 'Failed', failure: 'error', message: `${named(current)} could not be merged within ${formatDuration(plan.timeout)}: ${why}`, outputs: pullRequestOutputs(current) };
  }
  // A look that got this far had its answers: earlier failed attempts no longer count.
  return { phase: 'Running', message: `${named(current)} into ${plan.base}: ${why}; trying again`, state: {}, recheckAfterMs: POLL_MS };
}

function forgeFailure(error: ForgeError, plan: PullRequestPlan, record: Readonly<StepRecord>, now: Date): StepOutcome {
  const fail = (message: string): StepOutcome => ({ phase: 'Failed', failure: 'error', message });
  const { status } = error;
  if (status === undefined || passes(status) || error.rateLimited) return retryLater(record, error.message, now, error.retryAfter);
  if (status === 401) return fail(`${error.message}: the token in ${plan.secret} was not accepted; check its "token"`);
  if (status === 403) return fail(`${error.message}: the token in ${plan.secret} may not do this; it needs to push, and to open and merge pull requests`);
  if (status === 404) return fail(`${error.message}: there is no such repository, or the token in ${plan.secret} may not see it`);
  return fail(error.message);
}
