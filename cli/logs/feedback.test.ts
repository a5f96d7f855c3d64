// `rollouts-cv logs feedback` against the fake API server with state: as the kubeconfig's user (SelfSubjectReview),
// what it prints, what it writes (the mark and its audit Events) and what it refuses; and its command line's usage
// errors through commander.
import { Command, CommanderError } from 'commander';
import { type CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { feedbackName, type LogTemplateFeedback } from '../../shared/logs-feedback/feedback.js';
import { type FakeKubeApi, startFakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { failure, objectStore } from '../../test/helpers/fake-kube-store.js';
import { USAGE_ERROR } from '../arguments.js';
import { clusterOf, CommandError } from '../pipeline/cluster.js';
import type { Output } from '../pipeline/output.js';
import { changeMark, feedbackAction, listMarks, registerLogsFeedback } from './feedback.js';

const FEEDBACKS = { group: 'rollouts-cv.io', plural: 'logtemplatefeedbacks' };
const EVENTS = { plural: 'events' };
const TEMPLATE = '<TS> ERROR [db] query on <*> failed: deadlock detected';
const NAME = feedbackName('web', TEMPLATE);
const AT = new Date('2026-03-01T10:00:00.000Z');

let store: ReturnType<typeof objectStore>;
let kube: FakeKubeApi;

beforeAll(async () => {
  store = objectStore({ users: { 'secret-token': { username: 'alice@example.com' } } });
  kube = await startFakeKubeApi(store.respond);
});
afterAll(() => kube.close());
beforeEach(() => {
  for (const resource of [FEEDBACKS, EVENTS]) for (const o of store.list(resource)) store.delete({ ...resource, namespace: o.metadata.namespace, name: o.metadata.name });
});

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => void stdout.push(line), err: (line) => void stderr.push(line) };
}

const shop = () => clusterOf(kube.kubeConfig(), 'shop');
const stored = () => store.get({ ...FEEDBACKS, namespace: 'shop', name: NAME }) as unknown as LogTemplateFeedback | undefined;
const events = () => (store.list(EVENTS) as unknown as CoreV1Event[]).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)).map((e) => `${e.type} ${e.reason}`);

describe('rollouts-cv logs feedback', () => {
  it('marks, marks again, changes and clears as the kubeconfig user, each change recorded', async () => {
    const output = capture();
    expect(await changeMark(shop(), 'web', { kind: 'mark', mark: 'not-a-risk', template: TEMPLATE, comment: 'every deploy, harmless' }, output, AT)).toBe(0);
    expect(stored()!.spec).toEqual({ rollout: 'web', template: TEMPLATE, mark: 'not-a-risk', markedBy: 'alice@example.com', markedAt: AT.toISOString(), comment: 'every deploy, harmless' });
    expect(await changeMark(shop(), 'web', { kind: 'mark', mark: 'not-a-risk', template: TEMPLATE }, output, AT)).toBe(0);
    expect(await changeMark(shop(), 'web', { kind: 'mark', mark: 'raise-risk', template: TEMPLATE }, output, AT)).toBe(0);
    expect(await changeMark(shop(), 'web', { kind: 'clear', template: TEMPLATE }, output, AT)).toBe(0);
    expect(await changeMark(shop(), 'web', { kind: 'clear', template: TEMPLATE }, output, AT)).toBe(0);
    expect(output.stdout).toEqual([
      `Marked "${TEMPLATE}" not a risk for shop/web`,
      `"${TEMPLATE}" is already marked not a risk for shop/web by alice@example.com at 2026-03-01T10:00:00.000Z; nothing was changed`,
      `Marked "${TEMPLATE}" a risk for shop/web (it was marked not a risk by alice@example.com at 2026-03-01T10:00:00.000Z)`,
      `Cleared the mark on "${TEMPLATE}" for shop/web (it was marked a risk by alice@example.com at 2026-03-01T10:00:00.000Z)`,
      `"${TEMPLATE}" has no mark for shop/web; nothing was changed`,
    ]);
    expect(stored()).toBeUndefined();
    expect(events()).toEqual(['Normal CliMarkNotARisk', 'Normal CliMarkNotARisk', 'Normal CliMarkRaiseRisk', 'Normal CliMarkRaiseRisk', 'Normal CliClearMark', 'Normal CliClearMark']);
    const event = (store.list(EVENTS) as unknown as CoreV1Event[])[0]!;
    expect(event).toMatchObject({ source: { component: 'rollouts-cv-cli' }, metadata: { annotations: { 'rollouts-cv.io/kubernetes-user': 'alice@example.com' } } });
  });

  it('says what the cluster refused: the mark (RBAC), or its audit Event (then nothing was changed)', async () => {
    const forbidden = (path: string, what: string) => store.intercept((r) => (r.method === 'POST' && r.path.endsWith(path) ? failure(403, 'Forbidden', `${what} is forbidden: User "alice@example.com" cannot create resource`) : undefined));
    let stop = forbidden('/logtemplatefeedbacks', 'logtemplatefeedbacks.rollouts-cv.io');
    const mark = () => changeMark(shop(), 'web', { kind: 'mark', mark: 'not-a-risk', template: TEMPLATE }, capture(), AT);
    try {
      await expect(mark()).rejects.toThrow(new CommandError(`not changed: cannot create logtemplatefeedbacks shop/${NAME}: HTTP 403: logtemplatefeedbacks.rollouts-cv.io is forbidden: User "alice@example.com" cannot create resource`));
    } finally {
      stop();
    }
    expect(events()).toEqual(['Normal CliMarkNotARisk', 'Warning CliMarkNotARisk']);
    stop = forbidden('/events', 'events');
    try {
      await expect(mark()).rejects.toThrow(new CommandError('cannot write the audit Event, so nothing was changed: HTTP 403: events is forbidden: User "alice@example.com" cannot create resource'));
    } finally {
      stop();
    }
    expect(stored()).toBeUndefined();
  });

  it('needs a user the API server knows, and writes nothing without one', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: kube.url, skipTLSVerify: true }],
      users: [{ name: 'nobody', token: 'not-a-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'nobody' }],
      currentContext: 'fake',
    });
    const from = kube.requests.length;
    await expect(changeMark(clusterOf(kc, 'shop'), 'web', { kind: 'mark', mark: 'raise-risk', template: TEMPLATE }, capture())).rejects.toThrow(/^cannot tell who you are \(SelfSubjectReview\): HTTP 401/);
    expect(kube.requests.slice(from).map((r) => r.method)).toEqual(['POST']);
  });

  it("lists the service's marks, sorted by template, in text or JSON, and says which objects it left out", async () => {
    await changeMark(shop(), 'web', { kind: 'mark', mark: 'not-a-risk', template: TEMPLATE, comment: 'harmless' }, capture(), AT);
    await changeMark(shop(), 'web', { kind: 'mark', mark: 'raise-risk', template: 'WARN retrying <*>' }, capture(), AT);
    await changeMark(shop(), 'api', { kind: 'mark', mark: 'raise-risk', template: 'WARN another service' }, capture(), AT);
    store.seed(FEEDBACKS, { metadata: { name: 'by-hand', namespace: 'shop', labels: { 'rollouts-cv.io/rollout': 'web' } }, spec: { rollout: 'web', template: 'x\u001b[31m', mark: 'not-a-risk' } });
    const text = capture();
    expect(await listMarks(shop(), 'web', 'text', text)).toBe(0);
    expect(text.stdout).toEqual([
      'MARK         MARKED BY           MARKED AT                  TEMPLATE',
      `not-a-risk   alice@example.com   2026-03-01T10:00:00.000Z   ${TEMPLATE}`,
      '             # harmless',
      'raise-risk   alice@example.com   2026-03-01T10:00:00.000Z   WARN retrying <*>',
    ]);
    expect(text.stderr).toEqual([expect.stringMatching(/^rollouts-cv logs feedback: left out, no valid mark: LogTemplateFeedback shop\/by-hand: spec\.template: expected one line .*got "x\\u001b\[31m"$/)]);
    const json = capture();
    await listMarks(shop(), 'web', 'json', json);
    expect(JSON.parse(json.stdout.join('\n'))).toEqual([
      { name: NAME, template: TEMPLATE, mark: 'not-a-risk', markedBy: 'alice@example.com', markedAt: AT.toISOString(), comment: 'harmless' },
      { name: feedbackName('web', 'WARN retrying <*>'), template: 'WARN retrying <*>', mark: 'raise-risk', markedBy: 'alice@example.com', markedAt: AT.toISOString() },
    ]);
    const none = capture();
    await listMarks(clusterOf(kube.kubeConfig(), 'staging'), 'web', 'text', none);
    expect(none.stdout).toEqual(['No marks on the log templates of rollout staging/web.']);
  });
});

describe('its command line', () => {
  /** Parses `args` after `rollouts-cv logs feedback`; resolves to the exit code and what was printed on stderr. */
  async function parse(...args: string[]): Promise<{ code: number; printed: string }> {
    let printed = '';
    const program = new Command('rollouts-cv').exitOverride().configureOutput({ writeErr: (text) => (printed += text), writeOut: () => undefined });
    registerLogsFeedback(program.command('logs'));
    try {
      await program.parseAsync(['logs', 'feedback', '--kubeconfig', '/nonexistent', ...args], { from: 'user' });
      return { code: 0, printed };
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      // as cli/main.ts exits on a parse error
      return { code: error.exitCode === 0 ? 0 : USAGE_ERROR, printed };
    }
  }

  it.each([
    [['--template', 'x', '--not-a-risk'], /required option '--rollout <name>' not specified/],
    [['--rollout', 'web'], /error: give exactly one of --not-a-risk, --raise-risk, --clear or --list\n/],
    [['--rollout', 'web', '--template', 'x', '--not-a-risk', '--clear'], /\(got --not-a-risk and --clear\)/],
    [['--rollout', 'web', '--raise-risk'], /--raise-risk needs --template <text>/],
    [['--rollout', 'web', '--list', '--template', 'x'], /--list takes neither --template nor --comment/],
    [['--rollout', 'web', '--clear', '--template', 'x', '--comment', 'why'], /--clear takes no --comment/],
    [['--rollout', 'web,api', '--list'], /argument 'web,api' is invalid\. expected the name of a Rollout/],
    [['--rollout', 'x'.repeat(64), '--list'], /at most 63 characters/],
    [['--rollout', 'web', '--not-a-risk', '--template', 'ERROR a\nINFO b'], /expected one line of text without control characters/],
    [['--rollout', 'web', '--not-a-risk', '--template', 'x'.repeat(501)], /expected at most 500 characters, got 501/],
    [['--rollout', 'web', '--not-a-risk', '--template', 'x', '--comment', 'y'.repeat(501)], /expected at most 500 characters, got 501/],
    [['--rollout', 'web', '--list', '-n', 'Shop'], /expected a namespace name/],
  ])('refuses %j as a usage error', async (args, message) => {
    const { code, printed } = await parse(...args);
    expect(code).toBe(USAGE_ERROR);
    expect(printed).toMatch(message);
  });

  it('reads the action from the flags', () => {
    expect(feedbackAction({ list: true })).toEqual({ kind: 'list' });
    expect(feedbackAction({ clear: true, template: 't' })).toEqual({ kind: 'clear', template: 't' });
    expect(feedbackAction({ raiseRisk: true, template: 't' })).toEqual({ kind: 'mark', mark: 'raise-risk', template: 't' });
    expect(feedbackAction({ notARisk: true, template: 't', comment: 'c' })).toEqual({ kind: 'mark', mark: 'not-a-risk', template: 't', comment: 'c' });
  });
});
