// Release pipelines end to end, with every part real but Slack and Jira: the reference release
// (docs/examples/pipeline-loans-api.yaml) runs on two replicas of the pipelines controller (`rollouts-cv pipelines`
// processes electing a leader on a Lease), against the release repository of docs/examples/release-repo (git
// http-backend on loopback), Argo CD syncing each environment from it, the Argo Rollouts controller and the
// rollouts-cv engine verifying the prod-na canary, a Jira Cloud fake, and the Slack bot (in this process, Slack
// played by the local fake) where people start runs and click the approval and intervention buttons. A healthy
// release goes through every stage; a regressed one is rolled back when nobody answers in time; an approval is
// refused to the person who started the run; a killed leader's successor does no step's effect twice; and what
// cannot run says which field is wrong and changes nothing.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { beforeAll, expect } from 'vitest';
import { THREAD_ANNOTATION } from '../../bot/notifications/threads.js';
import { APPROVAL_REQUESTS, type ApprovalRequest, LABELS, statusOf } from '../../shared/approvals/request.js';
import { ANALYSIS_RUNS } from '../../shared/kube/rollout-types.js';
import { stepMarker } from '../../shared/pipelines/step-marker.js';
import { analysisRunName } from '../../shared/pipelines/steps/verify.js';
import { CLI } from './harness/environment.js';
import {
  type ControllerReplicas,
  type EndedRun,
  type PipelineObject,
  type ReleaseSite,
  APP_NAMESPACES,
  RELEASES,
  ROLLOUT,
  derivedPipeline,
  readRun,
  referencePipeline,
  rolloutOf,
  runToEnd,
  serveCanary,
  serveStable,
  startControllerReplicas,
  startReleaseSite,
  stepOf,
} from './harness/pipelines.js';
import { run, tail, waitFor } from './harness/processes.js';
import { type SlackBot, as, startSlackBot } from './harness/slack-bot.js';
import { clusterForFile } from './harness/suite.js';
import { BASELINE, REGRESSED } from './harness/verification.js';

const CHANNEL = 'C0RELEASE1';
/** The approvers the reference release names. */
const APPROVERS = 'S0PRODAPPROVERS';
// Two release managers (approvers), and an engineer who starts releases.
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const DEV = 'U0DEV00001';
const image = (version: string) => `registry.example/loans-api:${version}`;
const PROD = APP_NAMESPACES['prod-na'];

let site: ReleaseSite;
let people: SlackBot;
let controllers: ControllerReplicas;
let objects: CustomObjectsApi;
/** The hash of the prod-na Rollout's stable pods, as the last scenario left it. */
let stableHash: string;
let reference: PipelineObject;
const cluster = clusterForFile(RELEASES, {
  beforeStop: async () => {
    await people?.stop();
    await site?.stop();
  },
});

beforeAll(async () => {
  const env = cluster.env();
  site = await startReleaseSite(env);
  objects = site.objects;
  // The prod-na pods serve normal traffic: the baseline every canary is verified against.
  stableHash = await serveStable(env, objects, BASELINE);
  reference = referencePipeline(site);
  controllers = await startControllerReplicas(env, ['pipelines-a', 'pipelines-b']);
  await controllers.leader();
  people = await startSlackBot(env, {
    channels: [{ id: CHANNEL, name: 'releases' }],
    users: [ALICE, BOB, DEV],
    usergroups: [{ id: APPROVERS, handle: 'prod-approvers', users: [ALICE, BOB] }],
    config: [
      'clusters: [{name: e2e}]',
      `environments: [{name: releases, namespaces: [${RELEASES}], protected: true, channel: ${CHANNEL}}]`,
      `channels: [{id: ${CHANNEL}, namespace: ${RELEASES}}]`,
      'roles:',
      `  - {name: release-managers, groups: [${APPROVERS}], environments: [releases], allow: [view, deploy, abort, approve]}`,
      `  - {name: engineers, users: [${DEV}], environments: [releases], allow: [view, deploy]}`,
    ],
    leaseNamespace: RELEASES,
    from: { channelId: CHANNEL, channelName: 'releases', userId: DEV },
  });
  console.log(`e2e start (ms): ${JSON.stringify(env.timings)}`);
}, 600_000);

const apply = (object: object) => cluster.env().kubectl.apply(JSON.stringify(object));

/** What went on, for a failure message: the controllers' and the bot's last log lines, and the prod-na app. */
async function describe(): Promise<string> {
  const env = cluster.env();
  return `${await controllers.describe()}\nslack bot:\n${await tail(env.log('slack-bot'), 10)}\n${await site.argocd.describe('prod-na-loans-api')}`;
}

/** `/rollouts pipeline run …` as `userId`; returns the run the bot started. */
async function startFromSlack(text: string, userId: string): Promise<string> {
  const answer = await people.lastAnswer(people.command(`pipeline run ${text}`, userId));
  const started = /: started run releases\/([a-z0-9-]+) of pipeline /.exec(answer);
  if (!started) throw new Error(`the bot did not start the run: ${answer}`);
  return started[1]!;
}

/** The ApprovalRequest a run's stage asks people with, once the bot has posted it (its message as first posted). */
async function postedRequest(runName: string, stage: string, timeoutMs: number) {
  const { uid } = (await readRun(objects, runName)).metadata;
  return waitFor(`the ApprovalRequest of ${runName}/${stage} posted to Slack`, async () => {
    const list = (await objects.listNamespacedCustomObject({ ...APPROVAL_REQUESTS, namespace: RELEASES, labelSelector: `${LABELS.pipelineRunUid}=${uid}` })) as { items: ApprovalRequest[] };
    const request = list.items.find((r) => r.spec.pipelineRun?.stage === stage);
    const ref = request && statusOf(request).slack;
    const stored = ref && people.fake.message(ref.channel, ref.ts);
    const first = stored?.versions[0];
    return request && stored && first ? { request, message: { channel: stored.channel, ts: stored.ts, text: first.text, blocks: first.blocks } } : undefined;
  }, timeoutMs, describe, 500);
}

const click = (message: { ts: string; blocks?: unknown[] }, action: string, userId: string) => () => people.slack.blockAction({ message, actionId: `rcv.request.${action}` }, as(userId));

/** The replies in the run's Slack thread, once there are `count`; and its head message. */
async function threadOf(run: EndedRun, count: number) {
  return waitFor(`${count} replies in the thread of ${run.metadata.name}`, async () => {
    const current = await readRun(objects, run.metadata.name);
    const ref = JSON.parse(current.metadata.annotations?.[THREAD_ANNOTATION] ?? '{}') as { channel?: string; ts?: string };
    const head = ref.channel && ref.ts ? people.fake.message(ref.channel, ref.ts) : undefined;
    const replies = head ? people.fake.messages(head.channel).filter((m) => m.thread_ts === head.ts).map((m) => m.text ?? '') : [];
    return head && replies.length >= count ? { head, replies } : undefined;
  }, 30_000, describe, 500);
}

/** The text of a Jira comment (an Atlassian Document): its paragraphs, one per line. */
const commentText = (body: unknown) =>
  ((body as { content: { content?: { text: string }[] }[] }).content ?? []).map((paragraph) => (paragraph.content ?? []).map((node) => node.text).join('')).join('\n');

/** The AnalysisRuns a run's verify steps made, by step. */
async function analysisRunsOf(runName: string): Promise<{ name: string; step: string; phase?: string }[]> {
  const list = (await objects.listNamespacedCustomObject({ ...ANALYSIS_RUNS, namespace: PROD, labelSelector: `rollouts-cv.io/pipeline-run=${runName}` })) as {
    items: { metadata: { name: string; labels: Record<string, string> }; status?: { phase?: string } }[];
  };
  return list.items.map((item) => ({ name: item.metadata.name, step: item.metadata.labels['rollouts-cv.io/pipeline-step']!, phase: item.status?.phase })).sort((a, b) => a.step.localeCompare(b.step));
}

const imageOf = (rollout: { spec: { template?: { spec?: { containers?: { image?: string }[] } } } }) => rollout.spec.template?.spec?.containers?.[0]?.image;

cluster.scenario('a regressed image: the verification fails, people are asked, nobody answers, and prod-na rolls back', async () => {
  const env = cluster.env();
  // First, while prod-na's stable pods are the 4 its first revision registered with the synthetic app: a verification
  // fails a regression only against enough baseline pods (a canary registered later serves from its first pod only).
  // dev and prod-na of the reference release; people have the shortest time the spec allows to answer (1 minute).
  await apply(derivedPipeline(reference, 'loans-api-prod-na', { stages: ['dev', 'prod-na'], dropSteps: ['verify-10', 'look'], interventionTimeout: '1m' }));
  const before = site.log();
  const previous = imageOf((await rolloutOf(objects, 'prod-na')).rollout);
  const name = await startFromSlack(`loans-api-prod-na image=${image('2.5.0')}`, DEV);
  const canaryHash = await serveCanary(env, objects, stableHash, REGRESSED, 180_000);

  // The verification fails; the run asks people, with the four choices as buttons.
  const asked = await postedRequest(name, 'prod-na', 180_000);
  expect(asked.request.spec).toMatchObject({
    type: 'Intervention',
    environment: 'prod-na',
    onTimeout: 'rollback',
    actions: ['retry', 'ignore', 'rollback', 'abort'],
    pipelineRun: { name, stage: 'prod-na', step: 'verify-25' },
    evidence: { verdict: 'Failed', analysisRun: expect.stringMatching(/^loans-api-verify-[0-9a-f]{12}$/) },
  });
  expect(asked.message).toMatchObject({ channel: CHANNEL, text: expect.stringContaining('A release step failed and needs a decision') });
  const buttons = JSON.stringify(asked.message.blocks);
  for (const action of ['retry', 'ignore', 'rollback', 'abort']) expect(buttons).toContain(`"rcv.request.${action}"`);
  expect(Date.parse(asked.request.spec.expiresAt) - Date.parse(stepOf(await readRun(objects, name), 'prod-na', 'verify-25').finishedAt!)).toBe(60_000);
  const waiting = stepOf(await readRun(objects, name), 'prod-na', 'verify-25');
  expect(waiting).toMatchObject({ phase: 'Intervening', failure: 'verification' });

  // Nobody answers: after the minute, the stage rolls back.
  const ended = await runToEnd(objects, name, 240_000, describe);
  expect(ended.status.phase).toBe('Failed');
  const request = asked.request.metadata.name;
  expect(ended.status.message).toMatch(
    new RegExp(`^stage prod-na: step verify-25 failed \\(the verification failed\\): AnalysisRun loans/\\S+ Failed: verify: Unhealthy.*; ApprovalRequest ${request} expired \\(rollback\\): nobody decided by \\S+: rollback \\(the default on timeout.*\\); rolled back$`),
  );
  expect(stepOf(ended, 'prod-na', 'verify-25')).toMatchObject({ phase: 'Failed', failure: 'verification' });
  expect(ended.status.stages.map((stage) => `${stage.name} ${stage.phase}`)).toEqual(['dev Succeeded', 'prod-na Failed']);
  expect(ended.status.stages[1]!.rollback.map((step) => `${step.name} ${step.phase}`)).toEqual(['abort Succeeded', 'revert Succeeded', 'sync-back Succeeded', 'comment-rolled-back Succeeded']);
  expect(stepOf(ended, 'prod-na', 'abort', true).message).toMatch(/aborted.*rollout loans\/loans-api is DEGRADED/);
  const [analysis] = await analysisRunsOf(name);
  expect(analysis).toEqual({ name: stepOf(ended, 'prod-na', 'verify-25').outputs!.analysisRun, step: 'verify-25', phase: 'Failed' });
  expect(statusOf((await objects.getNamespacedCustomObject({ ...APPROVAL_REQUESTS, namespace: RELEASES, name: request })) as ApprovalRequest)).toMatchObject({ state: 'Expired', outcome: 'rollback', decisions: [] });

  // The release repository: dev's commit, prod-na's, and prod-na's revert, each its step's.
  const uid = ended.metadata.uid;
  const commits = site.log().slice(0, -before.length);
  expect(commits.map((commit) => commit.step)).toEqual([`${uid}/prod-na/rollback/revert`, `${uid}/prod-na/update-release-repo`, `${uid}/dev/update-release-repo`]);
  expect(commits[0]!.subject).toBe(`Revert "Deploy ${image('2.5.0')} to prod-na (${name})"`);
  expect(stepOf(ended, 'prod-na', 'revert', true).outputs?.commit).toBe(commits[0]!.id);
  expect(site.show('apps/loans-api/prod-na/rollout.yaml')).toContain(`image: ${previous}`);

  // Argo CD synced the revert: prod-na runs the previous image again, on its stable pods.
  const app = await site.argocd.get('prod-na-loans-api');
  expect(app.status?.operationState?.operation?.info).toContainEqual({ name: 'rollouts-cv-step', value: `${uid}/prod-na/rollback/sync-back` });
  expect(app.status?.operationState?.syncResult?.revision).toBe(commits[0]!.id);
  const { rollout, summary } = await rolloutOf(objects, 'prod-na');
  expect(imageOf(rollout)).toBe(previous);
  expect(summary.stableHash).toBe(stableHash);
  expect(summary.canaryHash).not.toBe(canaryHash);

  // The issue says so, and Slack shows the failed stage and run.
  const issue = site.jira.issues.find((i) => i.key === stepOf(ended, 'dev', 'tracking-issue').outputs?.key)!;
  expect(issue.comments.map((comment) => commentText(comment.body).split('\n')[0])).toEqual(['dev: updated the release repo and deployed', 'prod-na: rolled back']);
  const { replies } = await threadOf(ended, 3);
  expect(replies).toEqual([
    expect.stringMatching(new RegExp(`^:white_check_mark: Stage \\*dev\\* of run \\*${name}\\* succeeded`)),
    expect.stringMatching(new RegExp(`^:x: Stage \\*prod-na\\* of run \\*${name}\\* failed \\(.*\\): step verify-25 failed`)),
    expect.stringMatching(new RegExp(`^:x: Run \\*${name}\\* of pipeline \\*loans-api-prod-na\\* failed`)),
  ]);
}, 420_000);

cluster.scenario('the reference release from Slack, healthy image: every stage succeeds, one commit per environment, prod-na verified to 100%', async () => {
  const env = cluster.env();
  // The reference release, with its canary verified at 25 % and 50 % (the 10 % verification and the 5-minute look left out).
  await apply(derivedPipeline(reference, 'loans-api-release', { dropSteps: ['verify-10', 'look'] }));
  const before = site.log();
  const issuesBefore = site.jira.issues.length;
  const name = await startFromSlack(`loans-api-release image=${image('2.4.0')}`, DEV);
  const canary = serveCanary(env, objects, stableHash, BASELINE, 300_000);
  canary.catch(() => undefined); // awaited below

  // prod-na waits for a release manager; whoever started the run may not be the one.
  const prodNa = await postedRequest(name, 'approve-prod-na', 120_000);
  expect(prodNa.request.spec).toMatchObject({ type: 'Approval', environment: 'prod-na', requestedBy: DEV, policy: { approvers: { groups: [APPROVERS] }, minApprovals: 1, allowSelfApproval: false } });
  expect(prodNa.message.text).toContain('Approval needed');
  expect(await people.lastAnswer(click(prodNa.message, 'approve', ALICE))).toBe(`Recorded your approve on ${RELEASES}/${prodNa.request.metadata.name}: the request is now decided (approve).`);
  const highreg = await postedRequest(name, 'approve-prod-highreg', 300_000);
  expect(await people.lastAnswer(click(highreg.message, 'approve', BOB))).toMatch(/: the request is now decided \(approve\)\.$/);

  const ended = await runToEnd(objects, name, 180_000, describe);
  expect(ended.status.phase, ended.status.message).toBe('Succeeded');
  expect(ended.status.message).toBe('all 6 stages succeeded');
  expect(ended.status.stages.map((stage) => `${stage.name} ${stage.phase}`)).toEqual(['dev', 'qa', 'approve-prod-na', 'prod-na', 'approve-prod-highreg', 'prod-highreg'].map((stage) => `${stage} Succeeded`));
  expect(ended.status.stages.flatMap((stage) => stage.steps).filter((step) => step.phase !== 'Succeeded')).toEqual([]);
  const uid = ended.metadata.uid;

  // One commit per environment, each its stage's, in order; and what they set.
  const commits = site.log().slice(0, -before.length);
  expect(site.log().slice(commits.length)).toEqual(before);
  const environments = ['prod-highreg', 'prod-na', 'qa', 'dev'];
  expect(commits.map((commit) => commit.step)).toEqual(environments.map((stage) => `${uid}/${stage}/update-release-repo`));
  expect(commits.map((commit) => stepOf(ended, commit.step.split('/')[1]!, 'update-release-repo').outputs?.commit)).toEqual(commits.map((commit) => commit.id));
  expect(commits.at(-1)!.subject).toBe(`Deploy ${image('2.4.0')} to dev (${name}, by Slack user ${DEV})`);
  for (const environment of environments) expect(site.show(`apps/loans-api/${environment}/rollout.yaml`)).toContain(`image: ${image('2.4.0')}`);

  // Every environment runs it; prod-na got there through its two verifications, each one AnalysisRun that passed.
  const canaryHash = await canary;
  for (const environment of Object.keys(APP_NAMESPACES) as (keyof typeof APP_NAMESPACES)[]) {
    const { rollout, summary } = await rolloutOf(objects, environment);
    expect(`${environment}: ${summary.phase} ${summary.fullyPromoted} ${imageOf(rollout)}`).toBe(`${environment}: Healthy true ${image('2.4.0')}`);
  }
  const prod = (await rolloutOf(objects, 'prod-na')).summary;
  expect(prod).toMatchObject({ stableHash: canaryHash, step: { index: 6, count: 6 } });
  const verifications = await analysisRunsOf(name);
  expect(verifications).toEqual([
    { name: stepOf(ended, 'prod-na', 'verify-25').outputs!.analysisRun, step: 'verify-25', phase: 'Successful' },
    { name: stepOf(ended, 'prod-na', 'verify-50').outputs!.analysisRun, step: 'verify-50', phase: 'Successful' },
  ]);
  expect(stepOf(ended, 'prod-na', 'verify-25').message).toMatch(/^AnalysisRun loans\/\S+ Successful: verify: Healthy/);
  expect(stepOf(ended, 'prod-na', 'promote-100').message).toMatch(/rollout loans\/loans-api is HEALTHY/);
  stableHash = canaryHash;

  // One Jira issue, with one comment per stage that deploys.
  expect(site.jira.issues.length).toBe(issuesBefore + 1);
  const issue = site.jira.issues.at(-1)!;
  expect(stepOf(ended, 'dev', 'tracking-issue').outputs).toEqual({ key: issue.key, url: `${site.jira.url}/browse/${issue.key}` });
  expect(issue.fields).toMatchObject({ project: 'LOANS', issuetype: 'Story', summary: 'Tracking GitOps Deployment', labels: [stepMarker(`${uid}/dev/tracking-issue`)] });
  expect(issue.comments.map((comment) => commentText(comment.body).split('\n')[0])).toEqual(['dev: updated the release repo and deployed', 'qa: deployed', 'prod-na: 100%', 'prod-highreg: deployed']);

  // Slack: the run's thread, its head updated in place to the end, and a reply per stage and one at the end.
  const { head, replies } = await threadOf(ended, 7);
  expect(head.channel).toBe(CHANNEL);
  expect(head.versions.length).toBeGreaterThan(1);
  await waitFor('the thread head to show the end', async () => (people.fake.message(head.channel, head.ts)?.text === `Pipeline loans-api-release run ${RELEASES}/${name}: Succeeded` ? true : undefined), 30_000, describe, 500);
  expect(replies).toEqual([
    ...ended.status.stages.map((stage) => expect.stringMatching(new RegExp(`^:white_check_mark: Stage \\*${stage.name}\\* of run \\*${name}\\* succeeded \\(`))),
    expect.stringMatching(new RegExp(`^:white_check_mark: Run \\*${name}\\* of pipeline \\*loans-api-release\\* succeeded \\(.*: all 6 stages succeeded$`)),
  ]);
}, 480_000);

cluster.scenario('an approval: the person who started the run may not approve it, another approver may; a rejection ends the run', async () => {
  await apply(derivedPipeline(reference, 'loans-api-approval', { stages: ['approve-prod-na'] }));
  const first = await startFromSlack(`loans-api-approval image=${image('2.6.0')}`, ALICE);
  const { request, message } = await postedRequest(first, 'approve-prod-na', 60_000);
  const requestName = request.metadata.name;
  expect(await people.lastAnswer(click(message, 'approve', ALICE))).toBe('Not recorded: you triggered this deploy, so someone else has to approve it. Nothing was changed.');
  expect(await people.lastAnswer(click(message, 'approve', DEV))).toBe('Not recorded: you are not allowed to decide approval requests in environment releases. Nothing was changed.');
  const untouched = (await objects.getNamespacedCustomObject({ ...APPROVAL_REQUESTS, namespace: RELEASES, name: requestName })) as ApprovalRequest;
  expect(statusOf(untouched)).toMatchObject({ state: 'Pending', approvals: 0, decisions: [] });
  expect(stepOf(await readRun(objects, first), 'approve-prod-na', 'approval').phase).toBe('Running');
  expect(await people.lastAnswer(click(message, 'approve', BOB))).toBe(`Recorded your approve on ${RELEASES}/${requestName}: the request is now decided (approve).`);
  const approved = await runToEnd(objects, first, 60_000, describe);
  expect(approved.status.phase).toBe('Succeeded');
  expect(stepOf(approved, 'approve-prod-na', 'approval')).toMatchObject({ phase: 'Succeeded', message: `ApprovalRequest ${requestName} decided (approve): approve by ${BOB}`, outputs: { request: requestName } });

  const second = await startFromSlack(`loans-api-approval image=${image('2.6.1')}`, ALICE);
  const rejected = await postedRequest(second, 'approve-prod-na', 60_000);
  expect(await people.lastAnswer(click(rejected.message, 'reject', BOB))).toMatch(/: the request is now decided \(reject\)\.$/);
  const ended = await runToEnd(objects, second, 60_000, describe);
  expect(ended.status.phase).toBe('Failed');
  expect(ended.status.message).toBe(`stage approve-prod-na: step approval failed (rejected): ApprovalRequest ${rejected.request.metadata.name} decided (reject): reject by ${BOB}`);
}, 240_000);

cluster.scenario('the leader killed while a gitUpdate pushes and while a verification runs: the other replica carries on, each effect made once', async () => {
  const env = cluster.env();
  const before = site.log();
  const issuesBefore = site.jira.issues.length;
  // The first push of the run (dev's commit) lands; its pusher dies before it hears so, and before it writes the status.
  let killed: string | undefined;
  let landed: string | undefined;
  site.git.afterPush = async () => {
    const leader = await controllers.leader();
    await controllers.kill(leader);
    landed = site.log()[0]!.step;
    killed = leader;
  };
  const started = await run(process.execPath, [CLI, 'pipeline', 'run', 'loans-api-prod-na', `image=${image('2.7.0')}`, '-n', RELEASES, '--kubeconfig', env.kubeconfig]);
  const name = started.stdout.trim();
  const { uid } = (await readRun(objects, name)).metadata;
  await waitFor('the leader to be killed after its push', async () => (killed ? true : undefined), 60_000, describe, 200);
  expect(landed).toBe(`${uid}/dev/update-release-repo`);
  // The other replica takes the Lease over once it expires (leader() names a running replica only); then the killed one
  // comes back, as a restarted pod would, and waits.
  const successor = await controllers.leader();
  await controllers.start(killed!);

  // The next leader finds the commit and goes on; while the 25 % verification runs, it is killed too.
  await serveCanary(env, objects, stableHash, BASELINE, 180_000);
  const verification = analysisRunName(ROLLOUT, `${uid}/prod-na/verify-25`);
  await waitFor('the verification at 25 % to be running', async () => {
    const analysis = (await objects.getNamespacedCustomObject({ ...ANALYSIS_RUNS, namespace: PROD, name: verification }).catch(() => undefined)) as { status?: { phase?: string } } | undefined;
    return analysis?.status?.phase === 'Running' ? true : undefined;
  }, 180_000, describe, 500);
  expect(await controllers.leader()).toBe(successor);
  await controllers.kill(successor);
  await controllers.leader(); // the first replica, back, takes over again
  await controllers.start(successor);

  const ended = await runToEnd(objects, name, 240_000, describe);
  expect(ended.status.phase, ended.status.message).toBe('Succeeded');
  expect(ended.spec).toMatchObject({ triggeredBy: { kind: 'kubernetes' } });
  // The commits: one per step that makes one, although dev's pusher died after its push.
  const commits = site.log().slice(0, -before.length);
  expect(commits.map((commit) => commit.step)).toEqual([`${uid}/prod-na/update-release-repo`, `${uid}/dev/update-release-repo`]);
  expect(stepOf(ended, 'dev', 'update-release-repo')).toMatchObject({ phase: 'Succeeded', outputs: { commit: commits[1]!.id } });
  expect(stepOf(ended, 'dev', 'update-release-repo').message).toMatch(/^found its earlier commit /);
  // One AnalysisRun per verify step, the one running when its controller died included.
  expect(await analysisRunsOf(name)).toEqual([
    { name: verification, step: 'verify-25', phase: 'Successful' },
    { name: stepOf(ended, 'prod-na', 'verify-50').outputs!.analysisRun, step: 'verify-50', phase: 'Successful' },
  ]);
  // One Jira issue, with each comment once.
  expect(site.jira.issues.length).toBe(issuesBefore + 1);
  expect(site.jira.issues.at(-1)!.comments.map((comment) => commentText(comment.body).split('\n')[0])).toEqual(['dev: updated the release repo and deployed', 'prod-na: 100%']);
  const { rollout, summary } = await rolloutOf(objects, 'prod-na');
  expect(`${summary.phase} ${summary.fullyPromoted} ${imageOf(rollout)}`).toBe(`Healthy true ${image('2.7.0')}`);
  stableHash = summary.stableHash!;
}, 420_000);

cluster.scenario('bad input: the API server refuses what its schema can tell, a run of what it admits fails naming the field, and a missing YAML path commits nothing', async () => {
  const env = cluster.env();
  // Two step types in one step: the CRD's rule refuses it.
  const twoTypes = derivedPipeline(reference, 'loans-api-two-types', { stages: ['dev'] });
  twoTypes.spec.stages[0]!.steps[1]!.wait = { duration: '1m' };
  const refused = await apply(twoTypes).then(() => undefined, (error: Error) => error.message);
  expect(refused).toContain('a step has exactly one of gitUpdate, gitRevert, sync, rollout, verify, approval, issue, webhook, wait');
  expect(await env.kubectl.run(['-n', RELEASES, 'get', 'pipeline', 'loans-api-two-types', '--ignore-not-found'])).toBe('');

  // A misspelt variable: the API server cannot tell, the bot and the controller can, and say where.
  const typo = derivedPipeline(reference, 'loans-api-typo', { stages: ['dev'] });
  const prepare = (typo.spec.stages[0]!.steps[0]!.parallel as { gitUpdate?: { files: { set: { value: string }[] }[] } }[])[0]!.gitUpdate!;
  prepare.files[0]!.set[0]!.value = '${{ vars.imag }}';
  await apply(typo);
  const field = 'spec.stages[0].steps[0].parallel[0].gitUpdate.files[0].set[0].value: "imag" is not a variable of this pipeline (variables: image, replicas)';
  expect(await people.lastAnswer(people.command(`pipeline run loans-api-typo image=${image('2.8.0')}`, DEV))).toBe(`Not started: Pipeline ${RELEASES}/loans-api-typo is invalid, so no run of it can start: ${field}`);
  await apply({ apiVersion: 'rollouts-cv.io/v1alpha1', kind: 'PipelineRun', metadata: { name: 'loans-api-typo-1', namespace: RELEASES }, spec: { pipelineRef: { name: 'loans-api-typo' }, variables: { image: image('2.8.0') }, triggeredBy: { kind: 'kubernetes', id: 'e2e' } } });
  const typoRun = await runToEnd(objects, 'loans-api-typo-1', 60_000, describe);
  expect(typoRun.status).toMatchObject({ phase: 'Failed', message: `cannot start: ${field}` });

  // A YAML path the file does not have: the step fails saying where, the stage rolls back, and nothing is committed.
  const before = site.log();
  const devImage = imageOf((await rolloutOf(objects, 'dev')).rollout);
  const missing = derivedPipeline(reference, 'loans-api-missing-path', { stages: ['dev'] });
  const update = (missing.spec.stages[0]!.steps[0]!.parallel as { gitUpdate?: { files: { set: { path: string }[] }[] } }[])[0]!.gitUpdate!;
  update.files[0]!.set[0]!.path = 'spec.template.spec.containers[0].imag';
  await apply(missing);
  const name = (await run(process.execPath, [CLI, 'pipeline', 'run', 'loans-api-missing-path', `image=${image('2.8.0')}`, '-n', RELEASES, '--kubeconfig', env.kubeconfig])).stdout.trim();
  const ended = await runToEnd(objects, name, 120_000, describe);
  expect(ended.status.phase).toBe('Failed');
  expect(ended.status.message).toBe(
    'stage dev: step update-release-repo failed (an error): file "apps/loans-api/dev/rollout.yaml": path "spec.template.spec.containers[0].imag": spec.template.spec.containers[0] has no key "imag"; rolled back',
  );
  expect(stepOf(ended, 'dev', 'revert', true).message).toBe('step update-release-repo made no commit: nothing to revert');
  expect(site.log()).toEqual(before);
  expect(imageOf((await rolloutOf(objects, 'dev')).rollout)).toBe(devImage);
}, 240_000);
