// The messages of a pipeline run's thread: what the head shows, that it stays within Slack's limits however large
// the run, and that nothing from the cluster can mention anyone or write a link.
import { describe, expect, it } from 'vitest';
import type { PipelineRun } from '../../shared/pipelines/controller.js';
import type { PipelineRunStatus, StageRecord, StepRecord } from '../../shared/pipelines/status.js';
import { type RunSummary, summariseRun } from '../../shared/pipelines/summary.js';
import { SLACK_BLOCK_LIMITS, validateBlocks } from '../../test/fakes/slack/index.js';
import type { Message } from './blocks.js';
import { pipelineRunMessage, runEndMessage, shown, stageEndMessage, stepReport } from './pipeline-blocks.js';

const T0 = '2026-12-05T10:00:00.000Z';
const PLACE = { cluster: 'prod', environment: 'production', namespace: 'releases' };

const step = (name: string, type: StepRecord['type'], phase: StepRecord['phase'], extra: Partial<StepRecord> = {}): StepRecord => ({ name, type, phase, ...extra });
const stage = (name: string, phase: StageRecord['phase'], steps: StepRecord[], extra: Partial<StageRecord> = {}): StageRecord => ({ name, phase, steps, rollback: [], ...extra });

function runOf(stages: StageRecord[], options: { phase?: PipelineRunStatus['phase']; message?: string; trigger?: object; variables?: Record<string, string>; pipeline?: string } = {}): RunSummary {
  const status = {
    phase: options.phase ?? 'Running',
    pipeline: { name: options.pipeline ?? 'release', spec: { variables: [], stages: [] } },
    variables: options.variables ?? { image: 'registry.example/loans-api:2.4.1' },
    startedAt: T0,
    ...(options.phase && options.phase !== 'Running' && { finishedAt: '2026-12-05T10:42:00.000Z' }),
    ...(options.message !== undefined && { message: options.message }),
    stages,
  } as PipelineRunStatus;
  const run: PipelineRun = {
    metadata: { name: 'release-ab12cd34', namespace: 'releases' },
    spec: { pipelineRef: { name: options.pipeline ?? 'release' }, triggeredBy: options.trigger ?? { kind: 'slack', id: 'U0ALICE001' } },
    status,
  };
  return summariseRun(run, new Date('2026-12-05T11:00:00.000Z'));
}

/** The message as Slack receives it: its text and every block, as one string. */
const wire = (message: Message) => JSON.stringify(message);
const sectionTexts = (message: Message) => message.blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));

/** What Slack would refuse: a Block Kit rule broken, or blocks over the size at which Slack answers msg_blocks_too_long. */
function refusals(message: Message): string[] {
  const problems = validateBlocks(message.blocks, SLACK_BLOCK_LIMITS).map((p) => `${p.pointer}: ${p.message}`);
  if (JSON.stringify(message.blocks).length > SLACK_BLOCK_LIMITS.blocksJsonChars) problems.push(`blocks of ${JSON.stringify(message.blocks).length} characters`);
  if (!message.text) problems.push('no text');
  return problems;
}

const underWay = () =>
  runOf([
    stage('dev', 'Succeeded', [
      step('update-repo', 'gitUpdate', 'Succeeded', { message: 'committed', outputs: { commit: '0123456789abcdef0123456789abcdef01234567' } }),
      step('tracking', 'issue', 'Succeeded', { message: 'created LOANS-7', outputs: { key: 'LOANS-7', url: 'https://jira.example/browse/LOANS-7' } }),
    ], { startedAt: T0, finishedAt: '2026-12-05T10:04:02.000Z' }),
    stage('approval', 'Succeeded', [step('approve', 'approval', 'Succeeded', { message: 'approved by U0BOB00001', outputs: { request: 'release-ab12cd34-approval-1' } })]),
    stage('prod', 'Running', [
      step('verify', 'verify', 'Running', { message: 'verifying canary vs stable: 3 of 5 minutes', outputs: { analysisRun: 'loans-api-verify-x1' } }),
      step('promote', 'rollout', 'Pending', { message: 'not shown while pending' }),
    ]),
  ]);

describe('the head message', () => {
  it('shows the pipeline, the run, who started it and when, its variables, and each stage with its steps', () => {
    const message = pipelineRunMessage(underWay(), PLACE);
    expect(refusals(message)).toEqual([]);
    expect(message.text).toBe('Pipeline release run releases/release-ab12cd34: Running');
    const [head, dev, approval, prod] = sectionTexts(message);
    expect(head).toBe(
      [
        ':arrows_counterclockwise: Pipeline *release* · run *release-ab12cd34* — *Running*',
        `started by <@U0ALICE001> <!date^${Date.parse(T0) / 1000}^{date_short_pretty} {time}|${T0}>`,
        'variables: image=`registry.example/loans-api:2.4.1`',
      ].join('\n'),
    );
    expect(dev).toBe(
      [
        ':white_check_mark: *dev* Succeeded (4m2s)',
        '\u2003:white_check_mark: update-repo `gitUpdate` Succeeded · commit `0123456789ab`',
        '\u2003:white_check_mark: tracking `issue` Succeeded · issue <https://jira.example/browse/LOANS-7|LOANS-7>',
      ].join('\n'),
    );
    expect(approval).toContain('approve `approval` Succeeded · ApprovalRequest `release-ab12cd34-approval-1`');
    // The messages of the steps under way only: a verify step's message is its evidence.
    expect(prod).toBe(
      [
        ':arrows_counterclockwise: *prod* Running',
        '\u2003:arrows_counterclockwise: verify `verify` Running: verifying canary vs stable: 3 of 5 minutes · AnalysisRun `loans-api-verify-x1`',
        '\u2003:white_circle: promote `rollout` Pending',
      ].join('\n'),
    );
    expect(message.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'cluster *prod* · environment *production* · namespace *releases* · PipelineRun `release-ab12cd34`' }] });
  });

  it('shows a failed or intervening step with its message, the failing stage with its reason, and rollback steps once they run', () => {
    const summary = runOf([
      stage('prod', 'RollingBack', [step('verify', 'verify', 'Failed', { message: 'Unhealthy: p99 latency +40%' }), step('ask', 'wait', 'Intervening', { message: 'asked people on ApprovalRequest r-1' })], {
        message: 'step verify failed (verification failed): Unhealthy',
        rollback: [step('abort', 'rollout', 'Running', { message: 'aborting' }), step('revert', 'gitRevert', 'Pending')],
      }),
    ]);
    const [, prod] = sectionTexts(pipelineRunMessage(summary, PLACE));
    expect(prod).toBe(
      [
        ':rewind: *prod* RollingBack: step verify failed (verification failed): Unhealthy',
        '\u2003:x: verify `verify` Failed: Unhealthy: p99 latency +40%',
        '\u2003:raising_hand: ask `wait` Intervening: asked people on ApprovalRequest r-1',
        '\u2003_rolling back:_',
        '\u2003:arrows_counterclockwise: abort `rollout` Running: aborting',
        '\u2003:white_circle: revert `gitRevert` Pending',
      ].join('\n'),
    );
  });

  it('names a person who started a run from Kubernetes without mentioning anyone, and a run not started yet as waiting', () => {
    const summary = { ...runOf([], { trigger: { kind: 'kubernetes', id: 'alice@example.com' } }), phase: 'Pending' as const };
    const [head] = sectionTexts(pipelineRunMessage(summary, PLACE));
    expect(head).toContain('started by Kubernetes user alice@example.com');
    expect(head).toContain('_waiting for the pipelines controller to start it_');
    expect(head).not.toContain('<@');
  });
});

describe("Slack's limits", () => {
  const huge = 'x'.repeat(100_000);

  it('cuts huge messages, names and variables', () => {
    const summary = runOf([stage(huge, 'Running', [step(huge, 'verify', 'Running', { message: huge, outputs: { analysisRun: huge, commit: huge, key: huge, url: `https://jira.example/${huge}` } })], { message: huge })], {
      message: huge,
      pipeline: huge,
      variables: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`v${i}`, huge])),
    });
    const message = pipelineRunMessage(summary, PLACE);
    expect(refusals(message)).toEqual([]);
    expect(sectionTexts(message)[0]).toMatch(/variables: v0=`x+…`, .*… \d+ more/);
  });

  it('collapses finished stages to one line when every step would not fit, keeping the stage under way whole', () => {
    const steps = (phase: StepRecord['phase'], n: number) => Array.from({ length: n }, (_, i) => step(`step-${i}`, 'webhook', phase, { message: `answered 200 for call ${i} ${'.'.repeat(40)}`, outputs: { commit: `c0ffee${i}` } }));
    const summary = runOf([
      ...Array.from({ length: 12 }, (_, i) => stage(`done-${i}`, 'Succeeded', steps('Succeeded', 15), { startedAt: T0, finishedAt: '2026-12-05T10:01:00.000Z' })),
      stage('now', 'Running', [...steps('Succeeded', 3), step('current', 'verify', 'Running', { message: 'verifying' })]),
      stage('next', 'Pending', steps('Pending', 5)),
    ]);
    const message = pipelineRunMessage(summary, PLACE);
    expect(refusals(message)).toEqual([]);
    const texts = sectionTexts(message);
    // every step of the 12 finished stages would be 13,000 characters: each is one line, with its first outputs
    expect(texts[1]).toBe(':white_check_mark: *done-0* Succeeded (1m) · 15 steps · commit `c0ffee0` · commit `c0ffee1` · commit `c0ffee2` · commit `c0ffee3`');
    expect(texts.slice(1, 13).every((text) => !text.includes('\n'))).toBe(true);
    expect(texts[13]).toContain('current `verify` Running: verifying');
    expect(texts[13]!.split('\n')).toHaveLength(5);
    expect(texts[14]!.split('\n')).toHaveLength(6);
  });

  it.each([
    ['20 stages of 50 parallel groups of 10 steps, all running', 20, 500],
    ['1,000 stages (a status no Pipeline makes)', 1000, 3],
    ['a stage of 5,000 steps', 1, 5000],
  ])('stays within the limits with %s', (_, stages, steps) => {
    const summary = runOf(
      Array.from({ length: stages }, (_s, i) =>
        stage(`stage-${i}`, i === 0 ? 'Running' : 'Pending', Array.from({ length: steps }, (_t, j) => step(`step-${j}`, 'sync', i === 0 ? 'Running' : 'Pending', { message: `waiting for the Application to sync ${'…'.repeat(50)}` }))),
      ),
    );
    const message = pipelineRunMessage(summary, PLACE);
    expect(refusals(message)).toEqual([]);
    const all = sectionTexts(message).join('\n');
    if (stages > 48) expect(all).toMatch(/… \d+ more stages not shown$/);
    if (steps > 100) expect(all).toMatch(/… \d+ more steps not shown/);
  });
});

describe('text from the cluster', () => {
  const hostile = '<!channel> <!here|here> <@U0EVE00001> <#C0PROD0001> <!subteam^S0RELEASE1> <https://evil.example|click here> & *bold*';

  it('is escaped everywhere: no mention, broadcast or link can be written, in the blocks or in the text', () => {
    const summary = runOf(
      [
        stage(hostile, 'Failed', [step(hostile, 'verify', 'Failed', { message: hostile, outputs: { analysisRun: hostile, request: hostile, commit: hostile, key: hostile, url: 'https://jira.example/x|<!channel>' } })], { message: hostile }),
        stage('next', 'Pending', [step('a', 'wait', 'Pending', { outputs: { key: 'LOANS-1', url: 'javascript:alert(1)' } })]),
      ],
      { phase: 'Failed', message: hostile, pipeline: hostile, variables: { [hostile]: hostile }, trigger: { kind: 'slack', id: '<!channel>', name: hostile } },
    );
    const messages = [pipelineRunMessage(summary, PLACE), stageEndMessage(summary, summary.stages[0]!), runEndMessage(summary)];
    for (const message of messages) {
      expect(refusals(message)).toEqual([]);
      const sent = wire(message);
      for (const markup of ['<!channel>', '<!here', '<@U0EVE00001>', '<#C0PROD0001>', '<!subteam', '<https://evil', 'javascript:', '|<!']) expect(sent).not.toContain(markup);
      expect(sent).toContain('&lt;!channel&gt;');
    }
    // A Slack-triggered run whose trigger is not a user ID names it as written, without a mention.
    expect(sectionTexts(messages[0]!)[0]).toContain('started by Slack user');
  });

  it('is cut after escaping, never inside an escape', () => {
    expect(shown('a<b', 100)).toBe('a&lt;b');
    expect(shown('<<<<', 10)).toBe('&lt;&lt;…');
    expect(shown('line one\n\tline two', 100)).toBe('line one line two');
  });
});

describe('report links', () => {
  const REPORT = 'http://localhost:8082/reports/releases/loans-api-verify-0123456789ab/verify';
  const verified = (report: string, extra: Partial<StepRecord> = {}) => step('verify', 'verify', 'Failed', { message: 'Unhealthy', outputs: { analysisRun: 'loans-api-verify-0123456789ab', phase: 'Failed', report }, ...extra });
  const ended = (...steps: StepRecord[]) => runOf([stage('prod', 'Failed', steps, { message: 'step verify failed (verification failed): Unhealthy' })], { phase: 'Failed' });

  it("show an ended verify step's report in its line of the head, and in the stage's reply", () => {
    const summary = ended(verified(REPORT));
    const message = pipelineRunMessage(summary, PLACE);
    expect(refusals(message)).toEqual([]);
    expect(sectionTexts(message)[1]).toContain(`verify \`verify\` Failed: Unhealthy · AnalysisRun \`loans-api-verify-0123456789ab\` · <${REPORT}|report>`);
    const reply = stageEndMessage(summary, summary.stages[0]!);
    expect(refusals(reply)).toEqual([]);
    expect(reply.text).toBe(`:x: Stage *prod* of run *release-ab12cd34* failed: step verify failed (verification failed): Unhealthy\n\u2003:bar_chart: verify: <${REPORT}|report>`);
  });

  it('show a link normalised and escaped: an "&" in it is written as Slack reads it', () => {
    const summary = ended(verified('HTTP://LocalHost:8082/reports/releases/x/verify?a=1&b=2'));
    expect(stageEndMessage(summary, summary.stages[0]!).text).toContain('<http://localhost:8082/reports/releases/x/verify?a=1&amp;b=2|report>');
  });

  it.each([
    ['not a URL', 'reports/releases/x/verify'],
    ['credentials', 'http://admin:secret@localhost:8082/reports/releases/x/verify'],
    ['another scheme', 'javascript:alert(1)//http://localhost:8082/'],
    ['a "|" that would write its own label', 'http://localhost:8082/reports/x|<!channel>'],
    ['over 2048 characters', `http://localhost:8082/reports/${'x'.repeat(2048)}`],
  ])('leave out a report link with %s', (_what, report) => {
    const summary = ended(verified(report));
    for (const message of [pipelineRunMessage(summary, PLACE), stageEndMessage(summary, summary.stages[0]!)]) {
      expect(refusals(message)).toEqual([]);
      expect(wire(message)).not.toContain('|report>');
      expect(wire(message)).not.toContain('<!channel>');
    }
  });

  it("are only a verify step's once it ended: another step's `report` output is not a link", () => {
    const summary = runOf([
      stage('prod', 'Succeeded', [step('call', 'webhook', 'Succeeded', { outputs: { status: '200', report: REPORT } })]),
      stage('next', 'Running', [verified(REPORT, { phase: 'Running' })]),
    ]);
    expect(wire(pipelineRunMessage(summary, PLACE))).not.toContain('|report>');
    expect(stepReport(summary.stages[0]!.steps[0]!)).toBeUndefined();
    expect(stepReport(summary.stages[1]!.steps[0]!)).toBeUndefined();
  });

  it("keep the stage's reply within a section: links that do not fit are left out whole", () => {
    // 576 characters, 2,576 once escaped: one fits beside the stage's line, a second would not.
    const long = `${REPORT}?${'&'.repeat(500)}`;
    const steps = Array.from({ length: 5 }, (_, i) => verified(long, { name: `verify-${i}` }));
    const summary = ended(...steps);
    const reply = stageEndMessage(summary, summary.stages[0]!);
    expect(refusals(reply)).toEqual([]);
    const links = reply.text.split('\n').slice(1);
    expect(links).toEqual([`\u2003:bar_chart: verify-0: <${REPORT}?${'&amp;'.repeat(500)}|report>`]);
  });
});

describe('the replies', () => {
  it('say when a stage or the run ended, with the message and how long it took', () => {
    const summary = runOf([stage('prod', 'Failed', [], { startedAt: T0, finishedAt: '2026-12-05T10:05:00.000Z', message: 'step verify failed (verification failed): Unhealthy' })], {
      phase: 'Failed',
      message: 'stage prod: step verify failed; rolled back',
    });
    expect(stageEndMessage(summary, summary.stages[0]!).text).toBe(':x: Stage *prod* of run *release-ab12cd34* failed (5m): step verify failed (verification failed): Unhealthy');
    expect(runEndMessage(summary).text).toBe(':x: Run *release-ab12cd34* of pipeline *release* failed (42m): stage prod: step verify failed; rolled back');
    expect(refusals(runEndMessage(summary))).toEqual([]);
  });
});
