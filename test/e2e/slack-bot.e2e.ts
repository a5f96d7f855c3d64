// End to end: people drive canaries from Slack. The bot runs in this process against the harness's real API
// server and Argo Rollouts controller; Slack is the local fake (test/fakes/slack) and every request into the bot is
// signed like Slack's. An approval gate (`rollouts-cv/gate` with `approval`) waits for an ApprovalRequest that the
// bot posts with buttons; a click decides it and the controller acts. A rollouts-cv analysis that ends Inconclusive
// pauses the rollout and the bot asks for an intervention. Each security case is refused with a clear message and
// changes nothing in Kubernetes.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect } from 'vitest';
import { APPROVAL_REQUESTS, type ApprovalRequest, statusOf } from '../../shared/approvals/request.js';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { ROLLOUTS } from '../../shared/kube/rollout-types.js';
import type { FakeSlack } from '../fakes/slack/index.js';
import type { SlackHttpResponse, SlackRequestClient } from '../helpers/slack-requests.js';
import { clusterForFile } from './harness/suite.js';
import { waitFor } from './harness/processes.js';
import { type Deployed, deploy } from './harness/rollouts.js';
import { type SlackBot, as, startSlackBot } from './harness/slack-bot.js';
import { BASELINE, REGRESSED, analysisStep, analysisTemplate, gateStep, readyPods, registerGroup } from './harness/verification.js';

const NAMESPACE = 'humans';
const CHANNEL = 'C0PROD0001';
// Release managers (a user group), a developer who deploys, and someone with no role at all.
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const DEV = 'U0DEV00001';
const EVE = 'U0EVE00001';
const RELEASE_GROUP = 'S0RELEASE1';

let people: SlackBot;
let fake: FakeSlack;
let slack: SlackRequestClient;
let api: CustomObjectsApi;
let core: CoreV1Api;
const { env: environment, scenario } = clusterForFile(NAMESPACE, {
  withPods: true,
  beforeStop: async () => {
    await people?.stop();
  },
});

beforeAll(async () => {
  const env = environment();
  const kc = loadKubeConfig({ kubeconfig: env.kubeconfig });
  api = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
  people = await startSlackBot(env, {
    channels: [{ id: CHANNEL, name: 'prod-deploys' }],
    users: [ALICE, BOB, DEV, EVE],
    usergroups: [{ id: RELEASE_GROUP, handle: 'release', users: [ALICE, BOB] }],
    config: [
      'clusters: [{name: e2e}]',
      `environments: [{name: production, namespaces: [${NAMESPACE}], protected: true, channel: ${CHANNEL}}]`,
      `channels: [{id: ${CHANNEL}, namespace: ${NAMESPACE}}]`,
      'roles:',
      `  - {name: release, groups: [${RELEASE_GROUP}], environments: [production], allow: [view, promote, abort, retry, undo, pause, resume, restart, deploy, approve]}`,
      `  - {name: developers, users: [${DEV}], environments: [production], allow: [view, deploy]}`,
    ],
    leaseNamespace: NAMESPACE,
    from: { channelId: CHANNEL, channelName: 'prod-deploys', userId: ALICE },
  });
  ({ fake, slack } = people);
}, 600_000);

/** The confirmation the bot last showed a user, as the message its buttons are on. */
function lastPrompt(userId: string): { ts: string; blocks?: unknown[] } {
  const prompt = fake.ephemerals(userId).filter((m) => JSON.stringify(m.blocks ?? []).includes('rcv.confirm')).at(-1);
  if (!prompt) throw new Error(`no confirmation was shown to ${userId}`);
  return { ts: prompt.message_ts, blocks: prompt.blocks };
}

const confirm = (userId: string) => () => slack.blockAction({ message: lastPrompt(userId), actionId: 'rcv.confirm' }, as(userId));

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A new revision, as a CI pipeline would start it (not through the bot). */
async function newImage(name: string): Promise<void> {
  const body = { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.invalid/e2e/app:2' }] } } } };
  await api.patchNamespacedCustomObject({ ...ROLLOUTS, namespace: NAMESPACE, name, body }, MERGE_PATCH);
}

function approvalStep(config: object) {
  return { plugin: { name: 'rollouts-cv/gate', config: { approval: { environment: 'production', timeout: '10m', ...config } } } };
}

async function requestsOf(rollout: string): Promise<ApprovalRequest[]> {
  const list = (await api.listNamespacedCustomObject({ ...APPROVAL_REQUESTS, namespace: NAMESPACE })) as { items: ApprovalRequest[] };
  return list.items.filter((r) => r.spec.rollout?.name === rollout);
}

/** The approval message the bot posted for a rollout's request, as first posted (with its buttons). */
async function postedRequest(ro: Deployed): Promise<{ request: ApprovalRequest; message: { channel: string; ts: string; text?: string; blocks?: unknown[] } }> {
  return ro.poll('the approval request posted to Slack', async () => {
    const [request] = await requestsOf(ro.ref.name);
    const slackRef = request && statusOf(request).slack;
    const stored = slackRef && fake.message(slackRef.channel, slackRef.ts);
    const first = stored?.versions[0];
    return request && stored && first ? { request, message: { channel: stored.channel, ts: stored.ts, text: first.text, blocks: first.blocks } } : undefined;
  });
}

async function eventsAbout(name: string): Promise<{ reason?: string; message?: string; type?: string }[]> {
  const list = await core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e) => e.source?.component === 'rollouts-cv-bot' || e.reportingComponent === 'rollouts-cv-bot');
}

/**
 * What a person's command would change on the Rollout (its spec, and the status fields commands write), and its audit
 * Events: not the resourceVersion, which the leader's thread annotation and the controller's own status writes
 * also move, whenever they come.
 */
async function fingerprint(ro: Deployed): Promise<string> {
  const { metadata, spec, status = {} } = await ro.get();
  const commanded = { abort: status.abort, pauseConditions: status.pauseConditions, currentStepIndex: status.currentStepIndex, promoteFull: status.promoteFull };
  return JSON.stringify({ generation: metadata.generation, spec, commanded, events: (await eventsAbout(ro.ref.name)).length });
}

describe('approval gate decided from Slack, with the real controller', () => {
  scenario('deploy from Slack, the deployer may not approve, a release manager approves: the rollout proceeds', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'checkout', [{ setWeight: 25 }, approvalStep({ message: 'Ship checkout to 75%?' }), { setWeight: 75 }], { progressDeadlineSeconds: 3600 });
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);

    // BOB deploys: production is protected, so the bot asks first; the confirmation is BOB's alone.
    expect(await people.lastAnswer(people.command('deploy checkout app=registry.invalid/e2e/app:2', BOB))).toBe(`Deploy app=registry.invalid/e2e/app:2 to rollout ${NAMESPACE}/checkout? This confirmation expires in 10 minutes.`);
    const stolen = await people.lastAnswer(() => slack.blockAction({ message: lastPrompt(BOB), actionId: 'rcv.confirm' }, as(ALICE)));
    expect(stolen).toBe('Only the person who asked for this action can confirm it.');
    const deployed = await people.lastAnswer(confirm(BOB));
    expect(deployed).toContain("rollout 'humans/checkout' image updated: app=registry.invalid/e2e/app:2 (was registry.invalid/e2e/app:1)");
    expect(JSON.parse((await ro.get()).metadata.annotations?.['rollouts-cv.io/deployed-by'] ?? '{}')).toMatchObject({ user: BOB });

    const { request, message } = await postedRequest(ro);
    expect(request.spec).toMatchObject({ type: 'Approval', stepIndex: 1, environment: 'production', requestedBy: BOB, policy: { minApprovals: 1, allowSelfApproval: false } });
    expect(message.text).toContain(`Approval needed: ${NAMESPACE}/checkout (Pending)`);
    const paused = await ro.until('the rollout waiting at the gate', (s) => s.phase === 'Progressing' && s.step?.index === 1 && s.setWeight === 25);
    expect(paused.fullyPromoted).toBe(false);

    // The deployer, then someone without a role: both refused, nothing recorded on the request.
    expect(await people.lastAnswer(() => slack.blockAction({ message, actionId: 'rcv.request.approve' }, as(BOB)))).toBe(
      'Not recorded: you triggered this deploy, so someone else has to approve it. Nothing was changed.',
    );
    expect(await people.lastAnswer(() => slack.blockAction({ message, actionId: 'rcv.request.approve' }, as(EVE)))).toBe(
      'Not recorded: you are not allowed to decide approval requests in environment production. Nothing was changed.',
    );
    const [untouched] = await requestsOf('checkout');
    expect(statusOf(untouched!)).toMatchObject({ state: 'Pending', approvals: 0, decisions: [] });

    // The revision has its thread: a head message the leader keeps up to date, where actions are posted.
    const thread = await ro.poll('the thread of revision 2', async () => {
      const ref = JSON.parse((await ro.get()).metadata.annotations?.['rollouts-cv.io/slack-thread'] ?? '{}') as { revision?: string; channel?: string; ts?: string };
      return ref.revision === '2' && ref.channel && ref.ts ? { channel: ref.channel, ts: ref.ts } : undefined;
    });

    // ALICE approves; the same click replayed is one decision.
    let click: SlackHttpResponse | undefined;
    expect(await people.lastAnswer(async () => (click = await slack.blockAction({ message, actionId: 'rcv.request.approve' }, as(ALICE))))).toBe(
      `Recorded your approve on ${NAMESPACE}/${request.metadata.name}: the request is now decided (approve).`,
    );
    expect(await people.lastAnswer(() => people.replay(click!))).toBe('Already recorded: this click was handled before.');
    const [decided] = await requestsOf('checkout');
    expect(statusOf(decided!)).toMatchObject({ state: 'Decided', outcome: 'approve', approvals: 1 });
    expect(statusOf(decided!).decisions.map((d) => d.user)).toEqual([ALICE]);

    const final = await ro.until('the rollout fully promoted', (s) => s.phase === 'Healthy' && s.fullyPromoted, 120_000);
    expect(final.step).toEqual({ index: 3, count: 3 });
    await ro.poll('the Slack message updated in place', async () => (fake.message(message.channel, message.ts)!.text?.includes('(Decided)') ? true : undefined));
    await ro.poll('the thread head at Healthy', async () => (fake.message(thread.channel, thread.ts)?.text === `${NAMESPACE}/checkout revision 2: Healthy` ? true : undefined));
    const head = fake.message(thread.channel, thread.ts)!;
    expect(head.versions.length).toBeGreaterThan(1);
    expect(JSON.stringify(head.blocks)).toContain('cluster *e2e* · environment *production* · namespace *humans*');
    const inThread = fake.messages(CHANNEL).filter((m) => m.thread_ts === thread.ts).map((m) => m.text);
    expect(inThread).toEqual([`<@${ALICE}> chose *approve* on request \`${request.metadata.name}\`; the request is now decided (approve)`]);
    const reasons = (await eventsAbout('checkout')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['SlackDeploy']));
    expect((await eventsAbout(request.metadata.name)).map((e) => `${e.type} ${e.reason}`)).toEqual(
      expect.arrayContaining(['Warning SlackApprove', 'Normal SlackApprove']),
    );
  });

  scenario('an undo from Slack makes the undoer the deployer; a change outside Slack makes the deployer unknown', async () => {
    // A template with the forms the controller's Go json.Marshal rewrites: quantities, defaults, empty values.
    const template = {
      metadata: { labels: { app: 'orders' }, annotations: {} },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.invalid/e2e/app:1',
            args: ['', '--port=8080'],
            ports: [{ containerPort: 8080 }],
            env: [{ name: 'MODE', value: '' }],
            resources: { requests: { cpu: '0.25', memory: 134217728 }, limits: { cpu: 1, memory: '131072Ki' } },
            volumeMounts: [{ name: 'cache', mountPath: '/cache', readOnly: false }],
            readinessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 0, periodSeconds: 5 },
          },
        ],
        volumes: [{ name: 'cache', emptyDir: { sizeLimit: '1024Mi' } }],
        hostNetwork: false,
      },
    };
    const ro = await deploy(environment(), api, NAMESPACE, 'orders', [{ setWeight: 25 }, approvalStep({}), { setWeight: 75 }], { progressDeadlineSeconds: 3600, template });
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    const pending = async (revision: string) =>
      ro.poll(`the request of revision ${revision} posted`, async () => {
        const request = (await requestsOf('orders')).find((r) => r.spec.rollout?.revision === revision && statusOf(r).slack);
        const slackRef = request && statusOf(request).slack!;
        const stored = slackRef && fake.message(slackRef.channel, slackRef.ts);
        return request && stored ? { request, message: { channel: stored.channel, ts: stored.ts, blocks: stored.versions[0]!.blocks, text: stored.versions[0]!.text } } : undefined;
      });

    // BOB deploys revision 2; ALICE approves it.
    await people.lastAnswer(people.command('deploy orders app=registry.invalid/e2e/app:2', BOB));
    await people.lastAnswer(confirm(BOB));
    const second = await pending('2');
    expect(second.request.spec.requestedBy).toBe(BOB);
    await people.lastAnswer(() => slack.blockAction({ message: second.message, actionId: 'rcv.request.approve' }, as(ALICE)));
    await ro.until('revision 2 fully promoted', (s) => s.phase === 'Healthy' && s.fullyPromoted, 120_000);

    // ALICE undoes it: revision 3 runs the template of revision 1, and ALICE — not BOB — is its deployer.
    await people.lastAnswer(people.command('undo orders', ALICE));
    expect(await people.lastAnswer(confirm(ALICE))).toContain("rollout 'humans/orders' rolled back to revision 1");
    const third = await pending('3');
    expect(third.request.spec).toMatchObject({ requestedBy: ALICE });
    expect(third.request.spec.deployerUnknown).toBeUndefined();
    expect(await people.lastAnswer(() => slack.blockAction({ message: third.message, actionId: 'rcv.request.approve' }, as(ALICE)))).toBe(
      'Not recorded: you triggered this deploy, so someone else has to approve it. Nothing was changed.',
    );
    expect(await people.lastAnswer(() => slack.blockAction({ message: third.message, actionId: 'rcv.request.approve' }, as(BOB)))).toMatch(/^Recorded your approve/);
    await ro.until('revision 3 fully promoted', (s) => s.phase === 'Healthy' && s.fullyPromoted, 120_000);

    // A pipeline changes the image with a merge patch, leaving ALICE's annotation: the deployer is unknown.
    await newImage('orders');
    const fourth = await pending('4');
    expect(fourth.request.spec.requestedBy).toBeUndefined();
    expect(fourth.request.spec.deployerUnknown).toBe(
      `the rollout's template changed after the last deploy from Slack (by ${ALICE}; rollouts-cv.io/deployed-by on Rollout ${NAMESPACE}/orders is for another template)`,
    );
    expect(JSON.stringify(fourth.message.blocks)).toContain("deployer unknown: the rollout's template changed after the last deploy from Slack");
    await people.lastAnswer(() => slack.blockAction({ message: fourth.message, actionId: 'rcv.request.reject' }, as(BOB)));
    await ro.until('revision 4 aborted', (s) => s.phase === 'Degraded', 120_000);
  });

  scenario('a rejection fails the gate step and the controller aborts the rollout', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'payments', [{ setWeight: 25 }, approvalStep({}), { setWeight: 75 }], { progressDeadlineSeconds: 3600 });
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    await newImage('payments');
    const { request, message } = await postedRequest(ro);
    expect(await people.lastAnswer(people.command(`approve ${request.metadata.name}`, EVE))).toBe(
      'Not recorded: you are not allowed to decide approval requests in environment production. Nothing was changed.',
    );

    // "Decide with a comment…" opens a modal; its submission records the decision with the comment.
    const opened = fake.journal.entries.length;
    expect((await slack.blockAction({ message, actionId: 'rcv.request.comment' }, as(BOB))).status).toBe(200);
    const open = fake.journal.entries.slice(opened).find((entry) => entry.method === 'views.open');
    expect(open?.status).toBe(200);
    const view = (open!.response as { view: { id: string; private_metadata: string } }).view;
    const submitted = fake.journal.entries.length;
    const submission = await slack.viewSubmission(
      {
        callbackId: 'rcv.decide',
        viewId: view.id,
        privateMetadata: view.private_metadata,
        values: { outcome: { value: { type: 'radio_buttons', selected_option: { value: 'reject' } } }, comment: { value: { type: 'plain_text_input', value: 'error budget is spent' } } },
      },
      as(BOB),
    );
    expect(submission.status).toBe(200);
    const dm = fake.journal.entries.slice(submitted).find((entry) => entry.method === 'chat.postMessage' && entry.args.channel === BOB);
    expect(dm?.response).toMatchObject({ ok: true, channel: expect.stringMatching(/^D/) });
    expect(dm?.args.text).toBe(`Recorded your reject on ${NAMESPACE}/${request.metadata.name}: the request is now decided (reject).`);
    const final = await ro.until('the rollout aborted', (s) => s.phase === 'Degraded', 120_000);
    expect(final.message).toMatch(new RegExp(`^RolloutAborted: Rollout aborted update to revision 2: Step Plugin 2 \\(rollouts-cv/gate\\) failed: ApprovalRequest ${request.metadata.name} decided \\(reject\\): reject by ${BOB}: error budget is spent$`));
  });
});

describe('manual intervention on an Inconclusive verification', () => {
  scenario('the rollout pauses, the bot asks with the evidence, Promote anyway completes it', async () => {
    const e = environment();
    await e.kubectl.apply(analysisTemplate(NAMESPACE, 'cv-inconclusive', e.prometheus, { unhealthyPhase: 'Inconclusive' }));
    const ro = await deploy(e, api, NAMESPACE, 'cart', [{ setWeight: 25 }, analysisStep('cv-inconclusive'), { setWeight: 75 }]);
    const first = await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    const describe = async () => ro.seen.join(' → ');
    await registerGroup(e.app, first.stableHash!, await readyPods(e.kubectl, NAMESPACE, 'cart', first.stableHash!, 2, describe), BASELINE);
    await newImage('cart');
    const canaryHash = await ro.poll('the canary ReplicaSet', async () => {
      const hash = (await ro.get()).status?.currentPodHash;
      return hash && hash !== first.stableHash ? hash : undefined;
    });
    await registerGroup(e.app, canaryHash, await readyPods(e.kubectl, NAMESPACE, 'cart', canaryHash, 1, describe, 250), REGRESSED);

    const paused = await ro.until('paused on the Inconclusive analysis', (s) => s.phase === 'Paused' && s.pauseReasons.includes('InconclusiveAnalysisRun'), 180_000);
    expect(paused.step).toEqual({ index: 1, count: 3 });
    const { request, message } = await postedRequest(ro);
    expect(request.spec).toMatchObject({ type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'rollback', stepIndex: 1, evidence: { verdict: 'Unhealthy' } });
    expect(request.spec.evidence?.reasons?.length).toBeGreaterThan(0);
    expect(message.text).toContain(`Verification needs a decision: ${NAMESPACE}/cart (Pending)`);
    expect(JSON.stringify(message.blocks)).toContain('Promote anyway');

    // A pipeline deployed it, so the deployer is unknown: production is protected, so a go-ahead takes two people.
    expect(request.spec.deployerUnknown).toContain('not deployed from Slack');
    expect(await people.lastAnswer(() => slack.blockAction({ message, actionId: 'rcv.request.promote' }))).toBe(
      `Recorded your promote on ${NAMESPACE}/${request.metadata.name}: 1/2 approvals so far.`,
    );
    expect(await people.lastAnswer(() => slack.blockAction({ message, actionId: 'rcv.request.promote' }, as(BOB)))).toBe(
      `Recorded your promote on ${NAMESPACE}/${request.metadata.name}: the request is now decided (promote).`,
    );
    await ro.until('the rollout fully promoted', (s) => s.phase === 'Healthy' && s.fullyPromoted, 180_000);
    // recorded once the bot has read back what the controller did with the promotion (it may come after this poll)
    const applied = await waitFor('the outcome recorded as applied', async () => statusOf((await requestsOf('cart'))[0]!).applied, 30_000, undefined, 250);
    // what the controller did, or, when it took longer than the leader waits, what the next pass saw
    expect(applied.result).toMatch(/^(rollout 'humans\/cart' promoted from step 1\/3 to step [23]\/3; now |carried out: the rollout moved past this analysis$)/);
    expect((await eventsAbout(request.metadata.name)).map((event) => event.reason)).toEqual(expect.arrayContaining(['SlackPromote', 'InterventionPromote']));
  });
});

describe('a verify gate that asks people on Unhealthy', () => {
  scenario('a verify gate asks on Unhealthy; Roll back from Slack aborts the rollout', async () => {
    const e = environment();
    const gate = gateStep(e.prometheus) as { plugin: { name: string; config: { verify: object } } };
    const asking = { plugin: { ...gate.plugin, config: { verify: { ...gate.plugin.config.verify, onUnhealthy: 'ask', ask: { timeout: '10m', environment: 'production' } } } } };
    const ro = await deploy(e, api, NAMESPACE, 'basket', [{ setWeight: 25 }, asking, { setWeight: 75 }], { progressDeadlineSeconds: 3600 });
    const first = await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    const describe = async () => ro.seen.join(' → ');
    await registerGroup(e.app, first.stableHash!, await readyPods(e.kubectl, NAMESPACE, 'basket', first.stableHash!, 2, describe), BASELINE);
    await newImage('basket');
    const canaryHash = await ro.poll('the canary ReplicaSet', async () => {
      const hash = (await ro.get()).status?.currentPodHash;
      return hash && hash !== first.stableHash ? hash : undefined;
    });
    await registerGroup(e.app, canaryHash, await readyPods(e.kubectl, NAMESPACE, 'basket', canaryHash, 1, describe, 250), REGRESSED);

    const { request, message } = await postedRequest(ro);
    const name = request.metadata.name;
    expect(request.spec).toMatchObject({
      type: 'Intervention',
      actions: ['promote', 'retry', 'rollback'],
      onTimeout: 'rollback',
      stepIndex: 1,
      environment: 'production',
      evidence: { verdict: 'Unhealthy', verificationId: expect.stringMatching(/^v-[0-9a-f]{16}$/) },
    });
    expect(message.text).toContain(`Verification needs a decision: ${NAMESPACE}/basket (Pending)`);
    expect(JSON.stringify(message.blocks)).toContain('rcv.request.retry');
    // The step waits on the request; the rollout neither proceeds nor aborts meanwhile.
    const waiting = await ro.until('the rollout waiting at the gate', (s) => s.phase === 'Progressing' && s.step?.index === 1);
    expect(waiting.fullyPromoted).toBe(false);

    expect(await people.lastAnswer(() => slack.blockAction({ message, actionId: 'rcv.request.rollback' }))).toBe(
      `Recorded your rollback on ${NAMESPACE}/${name}: the request is now decided (rollback).`,
    );
    const final = await ro.until('the rollout aborted', (s) => s.phase === 'Degraded', 120_000);
    expect(final.message).toMatch(new RegExp(`^RolloutAborted: Rollout aborted update to revision 2: Step Plugin 2 \\(rollouts-cv/gate\\) failed: rolled back by ${ALICE} on ApprovalRequest ${name}: .*Unhealthy, score`));
    await ro.poll('the Slack message updated in place', async () => (fake.message(message.channel, message.ts)!.text?.includes('(Decided)') ? true : undefined));
  });
});

describe('commands from Slack, with the real controller', () => {
  scenario('abort and undo ask for confirmation, then the controller acts', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'search', [{ setWeight: 50 }, { pause: {} }]);
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    await people.lastAnswer(people.command('deploy search app=registry.invalid/e2e/app:2'));
    await people.lastAnswer(confirm(ALICE));
    await ro.until('revision 2 at the pause', (s) => s.phase === 'Paused' && s.message === 'CanaryPauseStep');

    const status = await people.lastAnswer(people.command('status search'));
    expect(status).toMatch(/^humans\/search: Paused \(CanaryPauseStep\) · step 1\/2 · weight 50 · stable \w+ · canary \w+$/);

    expect(await people.lastAnswer(people.command('abort search'))).toBe(`Abort rollout ${NAMESPACE}/search? This confirmation expires in 10 minutes.`);
    const abortPrompt = lastPrompt(ALICE);
    const aborted = await people.lastAnswer(confirm(ALICE));
    expect(aborted).toContain("rollout 'humans/search' aborted");
    const degraded = await ro.until('the rollout aborted', (s) => s.phase === 'Degraded');
    expect(degraded.message).toMatch(/^RolloutAborted: Rollout aborted update to revision 2/);
    // The same confirmation clicked again acts once.
    const again = await people.lastAnswer(() => slack.blockAction({ message: abortPrompt, actionId: 'rcv.confirm' }));
    expect(again).toBe('Already done: this confirmation was handled before, so nothing more was changed.');

    expect(await people.lastAnswer(people.command('undo search'))).toBe(`Roll back rollout ${NAMESPACE}/search to the previous revision? This confirmation expires in 10 minutes.`);
    const undone = await people.lastAnswer(confirm(ALICE));
    expect(undone).toContain("rollout 'humans/search' rolled back to revision 1");
    const rolledBack = await ro.until('back on the revision 1 template', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    expect((await ro.get()).spec.template?.spec?.containers?.[0]?.image).toBe('registry.invalid/e2e/app:1');
    expect(rolledBack.stableHash).toBeDefined();
  });

  scenario('refused requests change nothing: forged, stale or future signatures, a replay, and a user without the role', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'guarded', [{ setWeight: 50 }, { pause: {} }]);
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    const before = await fingerprint(ro);

    const forged = await slack.slashCommand({ command: '/rollouts', text: 'pause guarded' }, { signing: { signingSecret: 'not-the-secret' } });
    expect(forged.status).toBe(401);
    const stale = await slack.slashCommand({ command: '/rollouts', text: 'pause guarded' }, { signing: { timestampOffsetSec: -3_600 } });
    expect(stale.status).toBe(401);
    const future = await slack.slashCommand({ command: '/rollouts', text: 'pause guarded' }, { signing: { timestampOffsetSec: 3_600 } });
    expect(future.status).toBe(401);
    expect(future.body).toMatch(/X-Slack-Request-Timestamp is \d+ s in the future/);

    for (const text of ['status guarded', 'promote guarded', 'abort guarded', 'retry guarded', 'undo guarded', 'pause guarded', 'resume guarded', 'restart guarded', 'deploy guarded app=x:2']) {
      const answer = await people.lastAnswer(people.command(text, EVE));
      expect(answer, text).toMatch(/^You are not allowed to \w+ in environment production\. Nothing was changed\./);
    }
    expect(await people.lastAnswer(people.command('abort guarded', DEV))).toMatch(/^You are not allowed to abort/);
    expect(await fingerprint(ro)).toBe(before);

    // A replayed command acts once.
    let pause: SlackHttpResponse | undefined;
    expect(await people.lastAnswer(async () => (pause = await people.command('pause guarded')()))).toContain("rollout 'humans/guarded' paused");
    const afterPause = await fingerprint(ro);
    expect(await people.lastAnswer(() => people.replay(pause!))).toBe('Already done: this request was handled before, so nothing more was changed.');
    expect(await fingerprint(ro)).toBe(afterPause);
  });

  scenario('an approval after the request expired is refused, and the default outcome applies', async () => {
    const ro = await deploy(environment(), api, NAMESPACE, 'late', [{ setWeight: 25 }, approvalStep({ timeout: '1m', onTimeout: 'reject' }), { setWeight: 75 }], { progressDeadlineSeconds: 3600 });
    await ro.until('revision 1 Healthy', (s) => s.phase === 'Healthy' && s.fullyPromoted);
    await newImage('late');
    const { message } = await postedRequest(ro);
    const final = await ro.until('the rollout aborted by the timeout', (s) => s.phase === 'Degraded', 150_000);
    expect(final.message).toContain('expired (reject): nobody decided by');
    const late = await people.lastAnswer(() => slack.blockAction({ message, actionId: 'rcv.request.approve' }));
    expect(late).toMatch(/^Not recorded: this request is already expired \(reject\)/);
  });
});

