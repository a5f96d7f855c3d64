import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startJiraFake, type JiraFake } from '../../../test/helpers/jira-fake.js';
import { advanceRun, type Executors } from '../advance.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL, type SecretData } from '../credentials.js';
import { MAX_ATTEMPTS } from '../http-retry.js';
import { parsePipelineSpec } from '../spec.js';
import { initialStatus, type PipelineRunStatus } from '../status.js';
import { stepMarker } from '../step-marker.js';
import { issueStep } from './issue.js';

const T0 = new Date('2026-12-05T10:00:00Z');
const run = { namespace: 'releases', name: 'loans-api-release-1', uid: 'uid-1' };
const facts = { triggeredBy: 'Kubernetes user ana', url: 'https://console.example/runs/1' };

let jira: JiraFake;
let secret: SecretData | null;
const executors: Executors = { issue: issueStep({ readSecret: async (namespace, name) => (namespace === 'releases' && name === 'jira-token' ? secret : null) }) };
const jiraSecret = (data: Record<string, string>, allowed = `${jira.url}/`): SecretData => ({ labels: { [CREDENTIALS_LABEL]: 'jira' }, annotations: { [ALLOWED_URLS_ANNOTATION]: allowed }, data });

// A new site per test: each starts with no issue, and keys from LOANS-1.
beforeEach(async () => {
  jira = await startJiraFake();
  secret = jiraSecret({ email: jira.email, apiToken: `${jira.token}\n` });
});
afterEach(() => jira.close());

const jiraRef = (url = jira.url) => ({ url, credentialsSecret: { name: 'jira-token' } });
const create = (fields: Record<string, unknown> = {}, url?: string) => ({
  name: 'tracking-issue',
  issue: { jira: jiraRef(url), action: 'create', project: 'LOANS', summary: 'Release ${{ vars.image }}', description: 'Deploys ${{ vars.image }}\n\nrun ${{ run.name }}', ...fields },
});
const comment = (key = '${{ steps.dev.tracking-issue.outputs.key }}') => ({ name: 'comment', issue: { jira: jiraRef(), action: 'comment', key, comment: 'dev: deployed ${{ vars.image }}' } });
const start = (steps: unknown[], image = 'loans-api:2.0'): PipelineRunStatus =>
  initialStatus({ name: 'loans-api-release', spec: parsePipelineSpec({ variables: [{ name: 'image', required: true }], stages: [{ name: 'dev', steps }] }) }, { image }, T0);
const pass = (status: PipelineRunStatus, at = T0) => advanceRun(status, run, facts, executors, at);
const stepOf = (status: PipelineRunStatus, i = 0) => status.stages[0]!.steps[i]!;
const listen = async (handler: RequestListener): Promise<[Server, string]> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
};
const textOf = (adf: unknown): string[] => (adf as { content: { content: { text: string }[] }[] }).content.map((p) => p.content.map((t) => t.text).join(''));

describe('the issue step', () => {
  it('creates the tracking issue with the filled-in summary and description, outputs its key and address, and comments on it', async () => {
    const { status } = await pass(start([create(), comment()]));
    expect(status.phase).toBe('Succeeded');
    expect(stepOf(status)).toMatchObject({ message: 'created LOANS-1 in Jira ' + jira.url + ': Release loans-api:2.0', outputs: { key: 'LOANS-1', url: `${jira.url}/browse/LOANS-1` } });
    const [issue] = jira.issues;
    expect(issue!.fields).toMatchObject({ project: 'LOANS', issuetype: 'Story', summary: 'Release loans-api:2.0', labels: [stepMarker('uid-1/dev/tracking-issue')] });
    expect(textOf(issue!.fields.description)).toEqual(['Deploys loans-api:2.0', '', 'run loans-api-release-1']);
    expect(stepOf(status, 1)).toMatchObject({ message: `commented on LOANS-1 in Jira ${jira.url}`, outputs: { key: 'LOANS-1', comment: issue!.comments[0]!.id } });
    expect(textOf(issue!.comments[0]!.body)).toEqual(['dev: deployed loans-api:2.0', stepMarker('uid-1/dev/comment')]);
  });

  it('finds the issue and the comment it made when asked again (a controller that died before writing the status)', async () => {
    const first = await pass(start([create(), comment()]));
    const again = await pass(start([create(), comment()]));
    expect(stepOf(again.status)).toMatchObject({ message: `found LOANS-1, which this step created earlier in Jira ${jira.url}`, outputs: { key: 'LOANS-1', url: `${jira.url}/browse/LOANS-1` } });
    expect(stepOf(again.status, 1)).toMatchObject({ message: 'found the comment this step added earlier to LOANS-1', outputs: stepOf(first.status, 1).outputs });
    expect(jira.issues).toHaveLength(1);
    expect(jira.issues[0]!.comments).toHaveLength(1);
    expect(jira.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
  });

  it('comments once per step on an issue made elsewhere, among many comments of other steps', async () => {
    const issue = jira.addIssue('LOANS', 'Release train 42');
    for (let i = 0; i < 150; i++) issue.comments.push({ id: `c${i}`, body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: `note ${i}` }] }] }, created: T0.toISOString() });
    const steps = [comment(issue.key)];
    await pass(start(steps));
    await pass(start(steps));
    expect(issue.comments).toHaveLength(151);
  });

  it('names the Secret, and never shows its token, when Jira refuses the credentials', async () => {
    secret = jiraSecret({ email: jira.email, apiToken: 'ATATT3x-wrong-token' });
    const { status } = await pass(start([create()]));
    expect(stepOf(status)).toMatchObject({ phase: 'Failed', failure: 'error' });
    expect(stepOf(status).message).toBe(
      `looking in project LOANS for the issue this step created at Jira ${jira.url}: 401 (Client must be authenticated to access this resource.): the credentials in Secret releases/jira-token were not accepted; check its "email" and "apiToken"`,
    );
    expect(JSON.stringify(status)).not.toContain('wrong-token');
    expect(jira.issues).toHaveLength(0);
  });

  it('uses a Secret only when it is labelled for Jira and allows the site, and needs email and apiToken', async () => {
    const fails = async () => stepOf((await pass(start([create()]))).status).message;
    secret = { ...jiraSecret({ email: jira.email, apiToken: jira.token }), labels: { [CREDENTIALS_LABEL]: 'git' } };
    expect(await fails()).toBe(`Secret releases/jira-token is not labelled ${CREDENTIALS_LABEL}=jira, so it does not serve Jira steps`);
    secret = jiraSecret({ email: jira.email, apiToken: jira.token }, 'https://example.atlassian.net/');
    expect(await fails()).toBe(`Secret releases/jira-token may not be sent to ${jira.url}/: its ${ALLOWED_URLS_ANNOTATION} annotation allows https://example.atlassian.net/`);
    secret = jiraSecret({ email: jira.email });
    expect(await fails()).toBe('Secret releases/jira-token must hold "email" (a Jira account\'s) and "apiToken" (an API token of that account)');
    secret = null;
    expect(await fails()).toBe('Secret releases/jira-token does not exist');
    expect(jira.requests).toHaveLength(0);
  });

  it('says which issue or project does not exist, and what Jira found wrong with a field', async () => {
    const missing = await pass(start([comment('LOANS-99')]));
    expect(stepOf(missing.status).message).toBe(
      `reading the comments of LOANS-99 at Jira ${jira.url}: 404 (Issue does not exist or you do not have permission to see it.): issue LOANS-99 does not exist, or the account in Secret releases/jira-token may not see it`,
    );
    const project = await pass(start([create({ project: 'NOPE' })]));
    expect(stepOf(project.status).message).toBe(`looking in project NOPE for the issue this step created at Jira ${jira.url}: 400 (The value 'NOPE' does not exist for the field 'project'.)`);
    const type = await pass(start([create({ type: 'Epic Saga' })]));
    expect(stepOf(type.status).message).toBe(`creating an issue of type Epic Saga in project LOANS at Jira ${jira.url}: 400 (issuetype: The issue type selected is invalid.)`);
    const key = await pass(start([comment('${{ vars.image }}')], '../../rest/api/3/issue/LOANS-1'));
    expect(stepOf(key.status).message).toBe('issue.key "../../rest/api/3/issue/LOANS-1" is not a Jira issue key; expected one such as LOANS-123');
    expect(jira.issues).toHaveLength(0);
  });

  it('keeps a filled-in summary on one line, as Jira requires', async () => {
    const { status } = await pass(start([create()], 'loans-api:2.0\nsecond line'));
    expect(stepOf(status).phase).toBe('Succeeded');
    expect(jira.issues[0]!.fields.summary).toBe('Release loans-api:2.0 second line');
  });

  it('waits as long as Jira’s Retry-After asks when rate limited, then goes on', async () => {
    jira.failNext(429, { 'Retry-After': '7' });
    const limited = await pass(start([create()]));
    expect(stepOf(limited.status)).toMatchObject({
      phase: 'Running',
      state: { attempts: '1' },
      message: `looking in project LOANS for the issue this step created at Jira ${jira.url}: 429 (Rate limit exceeded.); trying again in 7s (attempt 2 of ${MAX_ATTEMPTS})`,
    });
    expect(limited.recheckAfterMs).toBe(7000);
    const { status } = await pass(limited.status, new Date(T0.getTime() + 7000));
    expect(stepOf(status)).toMatchObject({ phase: 'Succeeded', outputs: { key: 'LOANS-1' } });
    expect(stepOf(status).state).toBeUndefined();
  });

  it('tries again after a 5xx with a growing back-off, and fails after a bounded number of attempts', async () => {
    let status = start([create()]);
    const waits: number[] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      jira.failNext(503);
      const result = await pass(status);
      status = result.status;
      if (result.recheckAfterMs !== null) waits.push(result.recheckAfterMs);
    }
    expect(waits).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(stepOf(status)).toMatchObject({ phase: 'Failed', message: `looking in project LOANS for the issue this step created at Jira ${jira.url}: 503 (Something went wrong.); gave up after ${MAX_ATTEMPTS} attempts` });
    expect(jira.issues).toHaveLength(0);
  });

  it('tries again when Jira does not answer', async () => {
    const [closed, url] = await listen(() => undefined);
    await new Promise((resolve) => closed.close(resolve));
    secret = jiraSecret({ email: jira.email, apiToken: jira.token }, `${url}/`);
    const { status } = await pass(start([create({}, url)]));
    expect(stepOf(status)).toMatchObject({ phase: 'Running', message: `looking in project LOANS for the issue this step created at Jira ${url}: no answer (ECONNREFUSED); trying again in 5s (attempt 2 of ${MAX_ATTEMPTS})` });
  });

  it('gives up waiting for an answer after its timeout, and tries again later', async () => {
    const [silent, url] = await listen(() => undefined);
    secret = jiraSecret({ email: jira.email, apiToken: jira.token }, `${url}/`);
    const impatient: Executors = { issue: issueStep({ readSecret: async () => secret, requestTimeoutMs: 300 }) };
    const began = Date.now();
    const { status } = await advanceRun(start([create({}, url)]), run, facts, impatient, T0);
    expect(Date.now() - began).toBeLessThan(3000);
    expect(stepOf(status)).toMatchObject({ phase: 'Running', message: `looking in project LOANS for the issue this step created at Jira ${url}: no answer within 300ms; trying again in 5s (attempt 2 of ${MAX_ATTEMPTS})` });
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });
});

describe('the issue step against a hostile site', () => {
  let hostile: Server;
  let elsewhere: Server;
  let hostileUrl: string;
  const reached: string[] = [];
  beforeAll(async () => {
    let elsewhereUrl: string;
    [elsewhere, elsewhereUrl] = await listen((request, response) => {
      reached.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"issues":[]}');
    });
    [hostile, hostileUrl] = await listen((request, response) => {
      // Quotes the credentials back, and sends the create elsewhere.
      if (request.method === 'POST') return void response.writeHead(307, { Location: `${elsewhereUrl}/rest/api/3/issue` }).end();
      const auth = request.headers.authorization ?? '';
      const token = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':')[1];
      if (request.url?.includes('search')) return void response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"issues":[],"isLast":true}');
      response.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errorMessages: [`bad ${auth} for ${token}`], errors: {} }));
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => hostile.close(resolve));
    await new Promise((resolve) => elsewhere.close(resolve));
  });

  it('does not follow a redirect with the credentials, and never shows them when quoted back', async () => {
    secret = jiraSecret({ email: 'bot@example.com', apiToken: 'ATATT3x-quoted-token' }, `${hostileUrl}/`);
    const created = await pass(start([create({}, hostileUrl)]));
    expect(stepOf(created.status)).toMatchObject({ phase: 'Failed', message: `creating an issue of type Story in project LOANS at Jira ${hostileUrl}: 307: a redirect, which is not followed; is jira.url the site's own address?` });
    expect(reached).toEqual([]);
    const commented = await pass(start([{ name: 'comment', issue: { jira: jiraRef(hostileUrl), action: 'comment', key: 'LOANS-1', comment: 'c' } }]));
    const { message } = stepOf(commented.status);
    expect(message).toBe(`reading the comments of LOANS-1 at Jira ${hostileUrl}: 400 (bad Basic *** for ***)`);
    expect(JSON.stringify(commented.status)).not.toContain('quoted-token');
  });
});
