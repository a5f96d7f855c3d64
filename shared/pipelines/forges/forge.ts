// What a release repository's pull requests are made on — GitHub, or GitLab (merge requests) — behind one small
// interface: find the pull request of a head branch, open one, read one, merge one, close one. Each adapter speaks
// its forge through the forge's official client (github.ts, gitlab.ts) and turns its answers into the same few
// states, and its errors into ForgeError: the HTTP status (none when no answer came) and what the forge said, with
// the token taken out.
import { clip } from '../../text.js';
import { withoutSecrets } from '../credentials.js';

export type ForgeProvider = 'github' | 'gitlab';
export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface PullRequest {
  number: number;
  url: string;
  state: 'open' | 'merged' | 'closed';
  /** The head branch's commit, as the forge has it. */
  headSha: string;
  /** The commit the merge made on the base branch (a merged one only). */
  mergeCommit?: string;
  /** Whether the forge would merge it now; `unknown` while it works that out (or when a listing does not say). */
  mergeable: 'yes' | 'conflict' | 'blocked' | 'unknown';
  /** The forge's own word for where it stands (GitHub's mergeable_state, GitLab's detailed_merge_status). */
  detail: string;
}

/** What a merge request was answered: merged, or why not (the pull request is read again to tell more). */
export type MergeAnswer = { merged: true; commit: string } | { merged: false; why: 'refused' | 'conflict' | 'headMoved'; said: string };

export interface Forge {
  /** How messages name the repository on its forge, e.g. "GitHub platform/release". */
  name: string;
  /** How messages name a pull request: "pull request #12", "merge request !12". */
  label(number: number): string;
  /** The newest pull request from `head`, preferring a merged or open one to a closed one; null when none. */
  find(head: string): Promise<PullRequest | null>;
  /** Opens a pull request; when the forge says one from `head` is open already, that one. */
  open(request: { head: string; base: string; title: string; body: string }): Promise<PullRequest>;
  get(number: number): Promise<PullRequest>;
  /** Merges it if its head is still `pr.headSha`. */
  merge(pr: PullRequest, method: MergeMethod): Promise<MergeAnswer>;
  close(number: number): Promise<PullRequest>;
}

export class ForgeError extends Error {
  override name = 'ForgeError';
  constructor(
    message: string,
    /** The HTTP status of the forge's answer; undefined when none came. */
    readonly status: number | undefined,
    /** The answer's Retry-After header. */
    readonly retryAfter?: string,
    /** A rate limit the forge answered with another status (GitHub's 403 with no requests left). */
    readonly rateLimited = false,
  ) {
    super(message);
  }
}

export interface ForgeOptions {
  provider: ForgeProvider;
  /** The forge's REST API, checked (e.g. https://api.github.com, https://gitlab.example/api/v4). */
  api: URL;
  token: string;
  /** The repository's clone URL, from which its path on the forge is read. */
  repoUrl: string;
  /** How long one request may take. */
  timeoutMs: number;
}

/** The repository's path on its forge from its clone URL: "platform/release" for https://host/platform/release.git or git@host:platform/release.git. */
export function repositoryPath(repoUrl: string): string {
  const scp = /^[^@/]+@[^:/]+:(.+)$/.exec(repoUrl);
  const path = scp ? scp[1]! : new URL(repoUrl).pathname;
  return path.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '');
}

/** What a forge's error answer says (its message, or a page's text), one line, without the token. */
export function forgeSays(said: unknown, token: string): string {
  let text = '';
  if (typeof said === 'string') text = said;
  else if (said && typeof said === 'object') {
    const { message, error, errors } = said as { message?: unknown; error?: unknown; errors?: unknown };
    const main = [message, error].map((part) => (typeof part === 'string' ? part : part === undefined ? '' : JSON.stringify(part))).filter(Boolean);
    const detail = (e: unknown) => (typeof e === 'string' ? e : e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : JSON.stringify(e));
    const details = Array.isArray(errors) ? errors.map(detail) : [];
    text = [...main, ...details].join('; ');
  }
  // Scrubbed before it is cut, so that no part of the token is left at the cut.
  return clip(withoutSecrets(text, [token]).replace(/\s+/g, ' ').trim(), 300);
}
