// `/rollouts pipeline …` as after Slack's ack: what is created or changed in Kubernetes, once, by whom, and what
// people are told, with the real client against the fake API server.
import { describe, expect, it } from 'vitest';
import { type BotContextHarness, startBotContext } from '../../test/helpers/bot-context.js';
import type { KubeObject } from '../../test/helpers/fake-kube-store.js';
import { CANCEL_ANNOTATION, PIPELINE_RUNS, PIPELINES, type PipelineRun } from '../../shared/pipelines/controller.js';
import { parseCommand } from './parse.js';
import { SLACK_CHANNEL_ANNOTATION } from './pipeline.js';
import { runCommand } from './run.js';

const NS = 'releases';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const CAROL = 'U0CAROL001';
const CHANNEL = 'C0RELEASES';

const CONFIG = {
  clusters: [{ name: 'test' }],
  environments: [{ name: 'releases', namespaces: [NS] }, { name: 'production', namespaces: ['shop'], protected: true }],
  channels: [{ id: CHANNEL, namespace: NS }],
  roles: [
    { name: 'releasers', users: [ALICE], environments: ['*'], allow: ['view', 'deploy', 'abort'] },
    // Bob may release in the releases namespace, but not to production.
    { name: 'non-prod', users: [BOB], environments: ['releases'], allow: ['view', 'deploy', 'abort'] },
    { name: 'viewers', users: [CAROL], environments: ['*'], allow: ['view'] },
  ],
};

const PIPELINE = {
  variables: [{ name: 'image', required: true }, { name: 'service', default: 'loans-api' }],
  stages: [
    { name: 'dev', steps: [{ name: 'pause', wait: { duration: '1m' } }] },
    { name: 'prod', environment: 'production', steps: [{ name: 'pause', wait: { duration: '1m' } }] },
  ],
};

function seed(bot: BotContextHarness, spec: unknown = PIPELINE): void {
  bot.store.seed(PIPELINES, { apiVersion: 'rollouts-cv.io/v1alpha1', kind: 'Pipeline', metadata: { name: 'loans-api-release', namespace: NS }, spec } as KubeObject);
}
const runs = (bot: BotContextHarness) => bot.store.list(PIPELINE_RUNS) as unknown as PipelineRun[];
const section = (bot: BotContextHarness) => (bot.replies.at(-1)!.message.blocks[0] as { text: { text: string } }).text.text;

describe('/rollouts pipeline run', () => {
  it('starts one run as the bot, naming the person and the channel, and says so in the channel', async () => {
    const bot = await startBotContext(CONFIG);
    seed(bot);
    const invocation = bot.invocation(ALICE, CHANNEL);
    await runCommand(bot.ctx, 'pipeline run loans-api-release image=registry.example.com/loans-api:2.4.1', invocation, bot.reply);
    expect(runs(bot)).toHaveLength(1);
    const [run] = runs(bot);
    expect(run!.spec).toEqual({ pipelineRef: { name: 'loans-api-release' }, variables: { image: 'registry.example.com/loans-api:2.4.1' }, triggeredBy: { kind: 'slack', id: ALICE } });
    expect(run!.metadata.annotations).toEqual({ [SLACK_CHANNEL_ANNOTATION]: CHANNEL });
    expect(bot.replies.at(-1)!.visibility).toBe('in_channel');
    expect(section(bot)).toBe(`<@${ALICE}>: started run ${NS}/${run!.metadata.name} of pipeline loans-api-release`);
    // A replay of the same command (Slack retries) changes nothing.
    await runCommand(bot.ctx, 'pipeline run loans-api-release image=registry.example.com/loans-api:2.4.1', invocation, bot.reply);
    expect(runs(bot)).toHaveLength(1);
    expect(bot.answer()).toBe('Already done: this request was handled before, so nothing more was changed.');
  });

  it('refuses, changing nothing, a missing or unknown variable, an unknown or invalid pipeline', async () => {
    const bot = await startBotContext(CONFIG);
    seed(bot);
    await runCommand(bot.ctx, 'pipeline run loans-api-release', bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(bot.answer()).toBe('Not started: no run started: spec.variables.image: is required');
    await runCommand(bot.ctx, 'pipeline run loans-api-release image=x imgae=y', bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(bot.answer()).toContain('spec.variables.imgae: the pipeline declares no such variable (variables: image, service)');
    await runCommand(bot.ctx, 'pipeline run nope image=x', bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(bot.answer()).toBe(`Not started: Pipeline ${NS}/nope does not exist`);
    bot.store.delete({ ...PIPELINES, namespace: NS, name: 'loans-api-release' });
    seed(bot, { stages: [] });
    await runCommand(bot.ctx, 'pipeline run loans-api-release image=x', bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(bot.answer()).toMatch(/^Not started: Pipeline releases\/loans-api-release is invalid, so no run of it can start: spec\.stages/);
    expect(runs(bot)).toHaveLength(0);
  });

  it('needs deploy in every environment the pipeline’s stages name, as well as the namespace’s', async () => {
    const bot = await startBotContext(CONFIG);
    seed(bot);
    await runCommand(bot.ctx, 'pipeline run loans-api-release image=x', bot.invocation(BOB, CHANNEL), bot.reply);
    expect(bot.answer()).toBe('Not started: You are not allowed to deploy in environment production, which a stage of this pipeline deploys to. Nothing was changed.');
    await runCommand(bot.ctx, 'pipeline run loans-api-release image=x', bot.invocation(CAROL, CHANNEL), bot.reply);
    expect(bot.answer()).toMatch(/^You are not allowed to deploy in environment releases\./);
    expect(runs(bot)).toHaveLength(0);
  });

  it('reads hostile input as text: no markup, no oversized values, nothing that ends the process', async () => {
    const bot = await startBotContext(CONFIG);
    seed(bot);
    await runCommand(bot.ctx, `pipeline run loans-api-release image=${'x'.repeat(5000)}`, bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(bot.answer()).toBe('the value of image is 5000 characters long; at most 4096');
    await runCommand(bot.ctx, 'pipeline run loans-api-release "image=<!channel> & <@U0EVE>"', bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(runs(bot)[0]!.spec).toMatchObject({ variables: { image: '<!channel> & <@U0EVE>' } });
    await runCommand(bot.ctx, `pipeline status ${runs(bot)[0]!.metadata.name}`, bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(section(bot)).not.toContain('<!channel>');
    expect(section(bot)).toContain('&lt;!channel&gt; &amp; &lt;@U0EVE&gt;');
    await runCommand(bot.ctx, 'pipeline run ../x image=y', bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(bot.answer()).toBe('".." is not a valid namespace name');
  });
});

describe('/rollouts pipeline cancel and status', () => {
  async function started(bot: BotContextHarness): Promise<string> {
    seed(bot);
    await runCommand(bot.ctx, 'pipeline run loans-api-release image=x', bot.invocation(ALICE, CHANNEL), bot.reply);
    return runs(bot)[0]!.metadata.name;
  }

  it('asks a run to stop once, saying who asked first, and refuses one that ended', async () => {
    const bot = await startBotContext(CONFIG);
    const name = await started(bot);
    await runCommand(bot.ctx, `pipeline cancel ${name}`, bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(section(bot)).toBe(`<@${ALICE}>: asked pipeline run ${NS}/${name} to stop before its next step`);
    expect(runs(bot)[0]!.metadata.annotations?.[CANCEL_ANNOTATION]).toBe(`Slack user ${ALICE}`);
    await runCommand(bot.ctx, `pipeline cancel ${name}`, bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(section(bot)).toBe(`<@${ALICE}>: pipeline run ${NS}/${name}: cancel was already asked by Slack user ${ALICE}`);
    bot.store.modify({ ...PIPELINE_RUNS, namespace: NS, name }, (run) => {
      delete run.metadata.annotations![CANCEL_ANNOTATION];
      run.status = { phase: 'Succeeded', message: 'all 2 stages succeeded' };
    });
    await runCommand(bot.ctx, `pipeline cancel ${name}`, bot.invocation(ALICE, CHANNEL), bot.reply);
    expect(bot.answer()).toBe(`Not cancelled: pipeline run ${NS}/${name} has already ended (Succeeded)`);
  });

  it('needs abort to cancel, and view to see', async () => {
    const bot = await startBotContext(CONFIG);
    const name = await started(bot);
    await runCommand(bot.ctx, `pipeline cancel ${name}`, bot.invocation(CAROL, CHANNEL), bot.reply);
    expect(bot.answer()).toMatch(/^You are not allowed to abort in environment releases\./);
    expect(runs(bot)[0]!.metadata.annotations?.[CANCEL_ANNOTATION]).toBeUndefined();
    await runCommand(bot.ctx, 'pipeline status', bot.invocation(CAROL, CHANNEL), bot.reply);
    expect(bot.replies.at(-1)!.visibility).toBe('ephemeral');
    expect(section(bot)).toContain(name);
  });
});

describe('parsing', () => {
  it('reads variables, quoted values and the run or namespace', () => {
    expect(parseCommand('pipeline run loans-api-release image=a:1 "note=two words" -n releases')).toEqual({
      name: 'pipeline-run',
      pipeline: { name: 'loans-api-release', namespace: 'releases', cluster: undefined },
      variables: { image: 'a:1', note: 'two words' },
    });
    expect(parseCommand('pipeline status')).toEqual({ name: 'pipeline-status' });
    expect(parseCommand('pipeline cancel releases/r-1')).toEqual({ name: 'pipeline-cancel', run: { name: 'r-1', namespace: 'releases', cluster: undefined } });
    expect(() => parseCommand('pipeline run p image=a image=b')).toThrow('variable image is given twice');
    expect(() => parseCommand('pipeline run p 1x=a')).toThrow('"1x=a" is not <variable>=<value>');
    expect(() => parseCommand('pipeline deploy p')).toThrow('`pipeline` needs run, status or cancel');
  });
});
