// `issue`: a Jira Cloud issue that tracks a release (action create; its key and address are the step's outputs),
// and comments on it as the release goes on (action comment), through Jira's REST API v3 with an account's API
// token. Each is made once per step key: a created issue carries the key's marker (step-marker.ts) as a label, and
// a comment ends with it, so that a repeated look (a controller that died before writing the status) finds the
// issue or the comment instead of making a second one. Failures that pass (no answer, 429, 5xx) are tried again at
// later looks (http-retry.ts); anything else fails the step with what Jira said, never with the credentials.
import axios from 'axios';
import { HttpException, Version3Client, type Version3Models } from 'jira.js';
import { clip } from '../../text.js';
import type { StepExecutor, StepOutcome } from '../advance.js';
import { jiraCredentials, type JiraCredentials, type SecretReader, withoutSecrets } from '../credentials.js';
import { noAnswer, passes, retryLater } from '../http-retry.js';
import { shownUrl } from '../outbound-url.js';
import type { StepSpec } from '../spec.js';
import type { StepRecord } from '../status.js';
import { stepMarker } from '../step-marker.js';
import { render } from '../template.js';

const REQUEST_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const COMMENTS_PAGE = 100;
/** Comments looked through, newest first, for the one an earlier attempt added (it is among the latest). */
const MAX_COMMENTS_SEEN = 1_000;
const ISSUE_KEY = /^[A-Z][A-Z0-9_]{1,254}-[1-9][0-9]{0,17}$/;
const SUMMARY_MAX = 255;

export interface IssueDeps {
  readSecret: SecretReader;
  /** How long one request may take (default 30 s); all the requests of one look, twice that. */
  requestTimeoutMs?: number;
}

type Adf = Version3Models.Document;

/** An Atlassian Document: a paragraph per line of `text` (an empty line, an empty paragraph), then `marker`'s own. */
function adfDocument(text: string, marker?: string): Adf {
  const paragraph = (line: string) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] });
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  return { type: 'doc', version: 1, content: [...lines, ...(marker ? [marker] : [])].map(paragraph) };
}

/** Whether an Atlassian Document holds a text node that is `marker` (walked without recursion: Jira's answer may nest deep). */
function holdsMarker(document: unknown, marker: string): boolean {
  const nodes: unknown[] = [document];
  while (nodes.length > 0) {
    const node = nodes.pop();
    if (!node || typeof node !== 'object') continue;
    const { text, content } = node as { text?: unknown; content?: unknown };
    if (text === marker) return true;
    if (Array.isArray(content)) for (const child of content as unknown[]) nodes.push(child);
  }
  return false;
}

/** Jira's own words in an error answer (its errorMessages and per-field errors, or a page's text), without the credentials. */
function jiraSays(data: unknown, creds: JiraCredentials): string {
  let said = '';
  if (typeof data === 'string') said = data;
  else if (data && typeof data === 'object') {
    const { errorMessages, errors } = data as { errorMessages?: unknown; errors?: unknown };
    const messages = Array.isArray(errorMessages) ? errorMessages.filter((m): m is string => typeof m === 'string') : [];
    const fields = errors && typeof errors === 'object' ? Object.entries(errors).map(([field, m]) => `${field}: ${String(m)}`) : [];
    said = [...messages, ...fields].join('; ');
  }
  // The whole answer is scrubbed before it is cut, so that no part of a credential is left at the cut.
  const scrubbed = withoutSecrets(said, [creds.apiToken, Buffer.from(`${creds.email}:${creds.apiToken}`).toString('base64')]);
  return clip(scrubbed.replace(/\s+/g, ' ').trim(), 500);
}

interface Call {
  /** What was asked, e.g. "creating an issue in project LOANS". */
  doing: string;
  /** What a 404 means here. */
  notFound?: string;
}

/** The step's answer to a failed Jira call; throws on what is no HTTP failure (a fault of this program). */
function failureOf(error: unknown, creds: JiraCredentials, call: Call, record: Readonly<StepRecord>, now: Date, timeoutMs: number): StepOutcome {
  const cause = error instanceof HttpException ? error.cause : error;
  if (!axios.isAxiosError(cause)) throw error;
  const site = `Jira ${shownUrl(creds.site)}`;
  if (!cause.response) return retryLater(record, `${call.doing} at ${site}: ${noAnswer(cause, timeoutMs)}`, now);
  const { status, data, headers } = cause.response;
  const said = jiraSays(data, creds);
  const what = `${call.doing} at ${site}: ${status}${said ? ` (${said})` : ''}`;
  const fail = (message: string): StepOutcome => ({ phase: 'Failed', failure: 'error', message });
  if (status === 401) return fail(`${what}: the credentials in ${creds.secret} were not accepted; check its "email" and "apiToken"`);
  if (status === 403) return fail(`${what}: the account in ${creds.secret} lacks the Jira permission for it`);
  if (status === 404 && call.notFound) return fail(`${what}: ${call.notFound}, or the account in ${creds.secret} may not see it`);
  if (status >= 300 && status < 400) return fail(`${what}: a redirect, which is not followed; is jira.url the site's own address?`);
  if (passes(status)) return retryLater(record, what, now, typeof headers['retry-after'] === 'string' ? headers['retry-after'] : undefined);
  return fail(what);
}

/** A Jira call that failed, with what it was asking. */
class JiraCallFailed extends Error {
  override name = 'JiraCallFailed';
  constructor(
    readonly call: Call,
    override readonly cause: unknown,
  ) {
    super(call.doing);
  }
}

async function ask<T>(call: Call, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new JiraCallFailed(call, error);
  }
}

function jiraClient(creds: JiraCredentials, timeoutMs: number): Version3Client {
  return new Version3Client({
    host: creds.site.href.replace(/\/$/, ''),
    authentication: { basic: { email: creds.email, apiToken: creds.apiToken } },
    // Redirects are not followed: the credentials go only where the Secret allows. The signal bounds a look's
    // calls together, which a server answering byte by byte would otherwise hold open.
    baseRequestConfig: { timeout: timeoutMs, signal: AbortSignal.timeout(2 * timeoutMs), maxRedirects: 0, maxContentLength: MAX_RESPONSE_BYTES },
  });
}

type Fill = (text: string) => string;

async function createOnce(client: Version3Client, creds: JiraCredentials, spec: NonNullable<StepSpec['issue']>, marker: string, fill: Fill): Promise<StepOutcome> {
  const project = spec.project!;
  const site = `Jira ${shownUrl(creds.site)}`;
  const browse = (key: string) => ({ key, url: new URL(`browse/${key}`, creds.site).href });
  // Labels are searchable in every project: the search finds an issue an earlier attempt created.
  const found = await ask({ doing: `looking in project ${project} for the issue this step created` }, () =>
    client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: `project = "${project}" AND labels = "${marker}"`, fields: ['summary'], maxResults: 1 }),
  );
  const earlier = found.issues?.[0]?.key;
  if (earlier) return { phase: 'Succeeded', message: `found ${earlier}, which this step created earlier in ${site}`, outputs: browse(earlier) };
  const summary = clip(fill(spec.summary!).replace(/\s+/g, ' ').trim(), SUMMARY_MAX);
  if (!summary) return { phase: 'Failed', failure: 'error', message: 'issue.summary is empty once its references are filled in' };
  const description = spec.description === undefined ? undefined : adfDocument(fill(spec.description));
  const created = await ask({ doing: `creating an issue of type ${spec.type} in project ${project}` }, () =>
    client.issues.createIssue({ fields: { project: { key: project }, issuetype: { name: spec.type }, summary, ...(description && { description }), labels: [marker] } }),
  );
  return { phase: 'Succeeded', message: `created ${created.key} in ${site}: ${summary}`, outputs: browse(created.key) };
}

async function commentOnce(client: Version3Client, creds: JiraCredentials, spec: NonNullable<StepSpec['issue']>, marker: string, fill: Fill): Promise<StepOutcome> {
  const key = fill(spec.key!).trim();
  if (!ISSUE_KEY.test(key)) return { phase: 'Failed', failure: 'error', message: `issue.key ${JSON.stringify(clip(key, 80))} is not a Jira issue key; expected one such as LOANS-123` };
  const notFound = `issue ${key} does not exist`;
  for (let startAt = 0; startAt < MAX_COMMENTS_SEEN; startAt += COMMENTS_PAGE) {
    const page = await ask({ doing: `reading the comments of ${key}`, notFound }, () =>
      client.issueComments.getComments({ issueIdOrKey: key, startAt, maxResults: COMMENTS_PAGE, orderBy: '-created' }),
    );
    const comments = page.comments ?? [];
    const earlier = comments.find((comment) => holdsMarker(comment.body, marker));
    if (earlier) return { phase: 'Succeeded', message: `found the comment this step added earlier to ${key}`, outputs: { key, ...(earlier.id && { comment: earlier.id }) } };
    if (comments.length < COMMENTS_PAGE || startAt + comments.length >= (page.total ?? 0)) break;
  }
  const added = await ask({ doing: `commenting on ${key}`, notFound }, () => client.issueComments.addComment({ issueIdOrKey: key, comment: adfDocument(fill(spec.comment!), marker) }));
  return { phase: 'Succeeded', message: `commented on ${key} in Jira ${shownUrl(creds.site)}`, outputs: { key, ...(added.id && { comment: added.id }) } };
}

export function issueStep(deps: IssueDeps): StepExecutor {
  return async (step, record, { run, key, scope, now }) => {
    const spec = step.issue!;
    const creds = await jiraCredentials(deps.readSecret, run.namespace, spec.jira);
    const timeoutMs = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const client = jiraClient(creds, timeoutMs);
    const fill: Fill = (text) => render(text, scope);
    try {
      return await (spec.action === 'create' ? createOnce : commentOnce)(client, creds, spec, stepMarker(key), fill);
    } catch (error) {
      if (error instanceof JiraCallFailed) return failureOf(error.cause, creds, error.call, record, now, timeoutMs);
      throw error;
    }
  };
}
