// A Jira Cloud site on loopback for tests, answering the REST API v3 calls the pipeline's issue step makes as Jira
// Cloud documents them: create an issue (POST /rest/api/3/issue → 201 {id, key, self}), search by JQL (GET or POST
// /rest/api/3/search/jql, the enhanced search: {issues, isLast, nextPageToken}), add a comment and list comments
// (/rest/api/3/issue/{key}/comment, paged by startAt/maxResults, ordered by `created`). Requests need basic auth
// with the site's account email and API token (401 otherwise); errors have Jira's shape
// {"errorMessages": [...], "errors": {field: message}}: 404 for an unknown issue, 400 for a missing or invalid field
// (a description or comment that is not an Atlassian Document included). failNext() makes the next request fail,
// e.g. with 429 and Retry-After. Issues and comments are kept in memory for assertions.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJsonBody } from './json-body.js';

export interface FakeComment {
  id: string;
  /** The comment as an Atlassian Document. */
  body: unknown;
  created: string;
}

export interface FakeIssue {
  id: string;
  key: string;
  fields: { project: string; issuetype: string; summary: string; description?: unknown; labels: string[] };
  comments: FakeComment[];
}

export interface JiraFake {
  /** The site's address, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The account that basic auth must name, and its API token. */
  email: string;
  token: string;
  issues: FakeIssue[];
  /** Every request, authorised or not, in order. */
  requests: { method: string; path: string; query: URLSearchParams }[];
  /** Makes the next request (whatever it is) answer `status` with Jira's error shape and these headers. */
  failNext(status: number, headers?: Record<string, string>): void;
  /** An issue made as someone would in Jira's UI. */
  addIssue(project: string, summary: string): FakeIssue;
  close(): Promise<void>;
}

export interface JiraFakeOptions {
  /** Project keys with their issue type names; default LOANS with Story, Task and Bug. */
  projects?: Record<string, string[]>;
}

const ACCOUNT = { accountId: '5b10a2844c20165700ede21g', displayName: 'Release Bot', active: true };

class JiraAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`Jira ${status}`);
  }
}
const errorBody = (errorMessages: string[], errors: Record<string, string> = {}) => ({ errorMessages, errors });
const badRequest = (errors: Record<string, string>) => new JiraAnswer(400, errorBody([], errors));

/** Whether `node` is an Atlassian Document as Jira accepts it: a versioned doc of typed nodes, text nodes not empty. */
function isAdf(node: unknown, root = true): boolean {
  if (!node || typeof node !== 'object') return false;
  const { type, version, content, text } = node as { type?: unknown; version?: unknown; content?: unknown; text?: unknown };
  if (typeof type !== 'string') return false;
  if (root && (type !== 'doc' || version !== 1 || !Array.isArray(content))) return false;
  if (type === 'text' && (typeof text !== 'string' || text.length === 0)) return false;
  return content === undefined || (Array.isArray(content) && content.every((child) => isAdf(child, false)));
}

/** The enhanced search's JQL as the step writes it: `field = "value"` clauses joined by AND. */
function parseJql(jql: string): { field: string; value: string }[] {
  return jql.split(/\s+AND\s+/i).map((clause) => {
    const match = /^\s*(project|labels|key)\s*=\s*(?:"([^"]*)"|([A-Za-z0-9_-]+))\s*$/i.exec(clause);
    if (!match) throw new JiraAnswer(400, errorBody([`Error in the JQL Query: Expecting a field = value clause but got '${clause.trim()}'.`]));
    return { field: match[1]!.toLowerCase(), value: match[2] ?? match[3]! };
  });
}

const readJson = (request: IncomingMessage): Promise<unknown> => readJsonBody(request, () => new JiraAnswer(400, errorBody(['Unexpected character in the request body: it is not JSON.'])));

export async function startJiraFake(options: JiraFakeOptions = {}): Promise<JiraFake> {
  const projects = new Map(Object.entries(options.projects ?? { LOANS: ['Story', 'Task', 'Bug'] }));
  const email = 'release-bot@example.com';
  const token = `ATATT3x-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const expected = `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
  const failures: { status: number; headers: Record<string, string> }[] = [];
  const counters = new Map<string, number>();
  let ids = 10000;
  let clock = Date.parse('2026-12-05T10:00:00Z');
  const stamp = () => new Date((clock += 1000)).toISOString().replace('Z', '+0000');

  const issue = (idOrKey: string): FakeIssue => {
    const found = fake.issues.find((i) => i.key === idOrKey || i.id === idOrKey);
    if (!found) throw new JiraAnswer(404, errorBody(['Issue does not exist or you do not have permission to see it.']));
    return found;
  };
  const newIssue = (fields: FakeIssue['fields']): FakeIssue => {
    const n = (counters.get(fields.project) ?? 0) + 1;
    counters.set(fields.project, n);
    const created: FakeIssue = { id: String(ids++), key: `${fields.project}-${n}`, fields, comments: [] };
    fake.issues.push(created);
    return created;
  };
  const issueSelf = (i: FakeIssue) => `${fake.url}/rest/api/3/issue/${i.id}`;
  const commentJson = (i: FakeIssue, c: FakeComment) => ({ self: `${issueSelf(i)}/comment/${c.id}`, id: c.id, author: ACCOUNT, body: c.body, updateAuthor: ACCOUNT, created: c.created, updated: c.created, jsdPublic: true });

  function search(query: { jql?: unknown; maxResults?: unknown; nextPageToken?: unknown; fields?: unknown }) {
    if (typeof query.jql !== 'string' || !query.jql.trim()) throw new JiraAnswer(400, errorBody(['The JQL query is required: unbounded searches are not supported.']));
    const clauses = parseJql(query.jql);
    for (const { field, value } of clauses) {
      if (field === 'project' && !projects.has(value)) throw new JiraAnswer(400, errorBody([`The value '${value}' does not exist for the field 'project'.`]));
    }
    const matching = fake.issues.filter((i) =>
      clauses.every(({ field, value }) => (field === 'project' ? i.fields.project === value : field === 'labels' ? i.fields.labels.includes(value) : i.key === value)),
    );
    const start = Number(query.nextPageToken ?? 0) || 0;
    const max = Math.min(Math.max(Number(query.maxResults ?? 50) || 50, 1), 5000);
    const page = matching.slice(start, start + max);
    const wanted = Array.isArray(query.fields) ? query.fields.map(String) : typeof query.fields === 'string' ? query.fields.split(',') : ['id'];
    const isLast = start + max >= matching.length;
    return {
      issues: page.map((i) => ({ id: i.id, key: i.key, self: issueSelf(i), fields: Object.fromEntries(Object.entries(i.fields).filter(([name]) => wanted.includes(name) || wanted.includes('*all'))) })),
      isLast,
      ...(!isLast && { nextPageToken: String(start + max) }),
    };
  }

  function createIssue(body: unknown) {
    const fields = (body as { fields?: Record<string, unknown> } | undefined)?.fields;
    if (!fields || typeof fields !== 'object') throw badRequest({ project: 'valid project is required', summary: 'You must specify a summary of the issue.', issuetype: 'Specify an issue type' });
    const errors: Record<string, string> = {};
    const projectKey = (fields.project as { key?: unknown } | undefined)?.key;
    const types = typeof projectKey === 'string' ? projects.get(projectKey) : undefined;
    if (!types) errors.project = 'valid project is required';
    const typeName = (fields.issuetype as { name?: unknown } | undefined)?.name;
    if (typeName === undefined) errors.issuetype = 'Specify an issue type';
    else if (types && !types.includes(String(typeName))) errors.issuetype = 'The issue type selected is invalid.';
    const summary = fields.summary;
    if (typeof summary !== 'string' || !summary.trim()) errors.summary = 'You must specify a summary of the issue.';
    else if (/[\r\n]/.test(summary)) errors.summary = 'The summary is invalid because it contains newline characters.';
    else if (summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
    if (fields.description !== undefined && !isAdf(fields.description)) errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
    const labels = fields.labels ?? [];
    if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string' || /\s/.test(label) || label.length > 255)) errors.labels = 'Labels must be strings of at most 255 characters without spaces.';
    if (Object.keys(errors).length) throw badRequest(errors);
    const created = newIssue({ project: String(projectKey), issuetype: String(typeName), summary: String(summary), ...(fields.description !== undefined && { description: fields.description }), labels: labels as string[] });
    return { id: created.id, key: created.key, self: issueSelf(created) };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    fake.requests.push({ method, path: url.pathname, query: url.searchParams });
    const failure = failures.shift();
    if (failure) throw new JiraAnswer(failure.status, errorBody([failure.status === 429 ? 'Rate limit exceeded.' : 'Something went wrong.']), failure.headers);
    if (request.headers.authorization !== expected) throw new JiraAnswer(401, errorBody(['Client must be authenticated to access this resource.']));
    const path = url.pathname;
    if (path === '/rest/api/3/search/jql' && method === 'GET') {
      return send(response, 200, search({ jql: url.searchParams.get('jql'), maxResults: url.searchParams.get('maxResults'), nextPageToken: url.searchParams.get('nextPageToken'), fields: url.searchParams.get('fields') ?? undefined }));
    }
    if (path === '/rest/api/3/search/jql' && method === 'POST') return send(response, 200, search(((await readJson(request)) ?? {}) as Record<string, unknown>));
    if (path === '/rest/api/3/issue' && method === 'POST') return send(response, 201, createIssue(await readJson(request)));
    const comments = /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/.exec(path);
    if (comments && method === 'GET') {
      const target = issue(decodeURIComponent(comments[1]!));
      const startAt = Math.max(0, Number(url.searchParams.get('startAt') ?? 0) || 0);
      const maxResults = Math.min(Math.max(Number(url.searchParams.get('maxResults') ?? 5000) || 5000, 1), 5000);
      const orderBy = url.searchParams.get('orderBy') ?? 'created';
      const ordered = orderBy.startsWith('-') ? [...target.comments].reverse() : target.comments;
      return send(response, 200, { startAt, maxResults, total: target.comments.length, comments: ordered.slice(startAt, startAt + maxResults).map((c) => commentJson(target, c)) });
    }
    if (comments && method === 'POST') {
      const target = issue(decodeURIComponent(comments[1]!));
      const body = ((await readJson(request)) as { body?: unknown } | undefined)?.body;
      if (!isAdf(body)) throw badRequest({ comment: 'Comment body can not be empty!' });
      const comment: FakeComment = { id: String(ids++), body, created: stamp() };
      target.comments.push(comment);
      return send(response, 201, commentJson(target, comment));
    }
    throw new JiraAnswer(404, errorBody([`No resource at ${method} ${path}.`]));
  }

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers }).end(JSON.stringify(body));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof JiraAnswer) send(response, error.status, error.body, error.headers);
      else send(response, 500, errorBody([`Internal server error: ${String(error)}`]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const fake: JiraFake = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    email,
    token,
    issues: [],
    requests: [],
    failNext: (status, headers = {}) => void failures.push({ status, headers }),
    addIssue: (project, summary) => newIssue({ project, issuetype: projects.get(project)?.[0] ?? 'Task', summary, labels: [] }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
