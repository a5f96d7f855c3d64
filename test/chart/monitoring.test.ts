// The chart's monitoring, rendered by the pinned helm that scripts/helm.sh builds: the Grafana dashboard and the
// PrometheusRule of ci/monitoring-values.yaml, read against the metrics the engine and the bot really serve, the
// rules checked by promtool and unit-tested with it (each alert fires on its fault and stays quiet otherwise), and
// the bot's metrics port, Service, ServiceMonitor and NetworkPolicy rule.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createEngineMetrics } from '../../plugin/server/metrics.js';
import { chart, describeChart, helmRun, inCI, type K8s, NAMESPACE, ok, render } from '../helpers/chart.js';

const MONITORING = 'monitoring-values.yaml';
const ENGINE_JOB = 'rcv-rollouts-cv-engine';
const BOT_JOB = 'rcv-rollouts-cv-bot';

// The bot's metrics (`rollouts-cv bot --metrics-listen`), besides prom-client's default process_* and nodejs_*
// metrics, which the engine's registry has as well.
const BOT_METRICS = [
  'rollouts_cv_bot_commands_total',
  'rollouts_cv_bot_actions_total',
  'rollouts_cv_bot_slack_api_errors_total',
  'rollouts_cv_bot_slack_rate_limited_total',
  'rollouts_cv_bot_leader',
  'rollouts_cv_build_info',
];
const ALERTS = [
  'RolloutsCvEngineDown',
  'RolloutsCvEngineCallErrors',
  'RolloutsCvCollectionFailures',
  'RolloutsCvEngineSlow',
  'RolloutsCvBotNoLeader',
  'RolloutsCvBotSlackErrors',
  'RolloutsCvBotSlackRateLimited',
];
const ENGINE_ALERTS = ALERTS.filter((name) => !name.startsWith('RolloutsCvBot'));
// Okabe-Ito, distinguishable with the common colour-vision deficiencies, and a neutral grey.
const COLOUR_BLIND_SAFE = new Set(['#0072B2', '#56B4E9', '#009E73', '#F0E442', '#E69F00', '#D55E00', '#CC79A7', '#999999']);

// Debian's prometheus package (scripts/setup.sh installs it) ships promtool.
function promtoolBinary(): string | undefined {
  const found = spawnSync('bash', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  return existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : undefined;
}

const promtool = promtoolBinary();

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };

function find(docs: K8s[], kind: string, name: string): K8s | undefined {
  return docs.find((doc) => doc.kind === kind && doc.metadata.name === name);
}

function rules(docs: K8s[]): Rule[] {
  const rule = docs.find((doc) => doc.kind === 'PrometheusRule');
  if (!rule) throw new Error('no PrometheusRule rendered');
  return rule.spec.groups.flatMap((group: { rules: Rule[] }) => group.rules);
}

/** Every metric name a program serves: its registry's names, a histogram's as its _bucket, _sum and _count series. */
async function engineMetricNames(): Promise<string[]> {
  const metrics = await createEngineMetrics().registry.getMetricsAsJSON();
  return metrics.flatMap(({ name, type }) => (String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]));
}

const ENGINE_METRICS = await engineMetricNames();
const DEFAULT_METRICS = ENGINE_METRICS.filter((name) => name.startsWith('process_') || name.startsWith('nodejs_'));
const SERVED = new Set([...ENGINE_METRICS, ...BOT_METRICS, ...DEFAULT_METRICS]);

interface Selector {
  metric: string | undefined;
  matchers: Record<string, string>;
}

/** Syntax errors of a PromQL expression and its vector selectors (metric name and equality matchers). */
function readPromQL(expr: string): { errors: string[]; selectors: Selector[] } {
  const errors: string[] = [];
  const selectors: Selector[] = [];
  const text = (from: number, to: number) => expr.slice(from, to);
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.type.isError) errors.push(`syntax error at ${ref.from}: ${JSON.stringify(text(ref.from, ref.from + 30))}`);
      if (ref.name !== 'VectorSelector') return;
      const identifier = ref.node.getChild('Identifier');
      const matchers: Record<string, string> = {};
      for (const matcher of ref.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const name = matcher.getChild('LabelName');
        const value = matcher.getChild('StringLiteral');
        if (name && value && matcher.getChild('MatchOp')?.getChild('EqlSingle')) matchers[text(name.from, name.to)] = JSON.parse(text(value.from, value.to)) as string;
      }
      selectors.push({ metric: identifier ? text(identifier.from, identifier.to) : undefined, matchers });
    },
  });
  return { errors, selectors };
}

/** What is wrong with a query: syntax errors, selectors without a metric name, metrics nobody serves. */
function queryProblems(expr: string, served: ReadonlySet<string>): string[] {
  const { errors, selectors } = readPromQL(expr);
  return [
    ...errors,
    ...selectors.map(({ metric }) => (metric === undefined ? 'a selector without a metric name' : served.has(metric) ? '' : `unknown metric ${metric}`)).filter(Boolean),
  ];
}

// Grafana's interval variables stand where PromQL wants a duration; the other variables sit inside label values.
function grafanaToPromQL(expr: string): string {
  return expr.replaceAll(/\$__(rate_interval|interval|range)\b/g, '5m');
}

function walk(value: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((item) => walk(item, visit));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      visit(key, child);
      walk(child, visit);
    }
  }
}

/** Prometheus expands `{{ $labels.x }}` in annotations; the rules use no other template. */
function expandAnnotation(text: string, labels: Record<string, string>): string {
  const expanded = text.replaceAll(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => {
    const value = labels[name];
    if (value === undefined) throw new Error(`annotation reads $labels.${name}, which the alert does not carry: ${text}`);
    return value;
  });
  if (expanded.includes('{{')) throw new Error(`annotation has a template other than {{ $labels.x }}: ${text}`);
  return expanded;
}

function runPromtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool!, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// Series a healthy installation reports, minute by minute for an hour: two engine replicas answering Resume calls
// fast and collecting fine; two bot replicas, one leading, Slack quiet.
const engine = (labels: string) => `{job="${ENGINE_JOB}",namespace="${NAMESPACE}",${labels}}`;
const bot = (labels: string) => `{job="${BOT_JOB}",namespace="${NAMESPACE}",${labels}}`;
const BUCKETS = ['0.1', '1', '10', '30', '+Inf'];
const HEALTHY: Record<string, string> = {
  [`up${engine('pod="engine-a"')}`]: '1x60',
  [`up${engine('pod="engine-b"')}`]: '1x60',
  [`rollouts_cv_engine_calls_total${engine('pod="engine-a",method="Resume",outcome="ok"')}`]: '0+10x60',
  [`rollouts_cv_engine_calls_total${engine('pod="engine-b",method="Resume",outcome="ok"')}`]: '0+10x60',
  [`rollouts_cv_engine_calls_total${engine('pod="engine-a",method="Resume",outcome="error"')}`]: '0x60',
  ...Object.fromEntries(BUCKETS.map((le) => [`rollouts_cv_engine_call_duration_seconds_bucket${engine(`pod="engine-a",method="Resume",le="${le}"`)}`, '0+10x60'])),
  [`rollouts_cv_collection_failures_total${engine('pod="engine-a",plugin="verify"')}`]: '0x60',
  [`rollouts_cv_bot_leader${bot('pod="bot-a"')}`]: '1x60',
  [`rollouts_cv_bot_leader${bot('pod="bot-b"')}`]: '0x60',
  [`rollouts_cv_bot_slack_api_errors_total${bot('pod="bot-a",method="chat.postMessage",error="not_in_channel"')}`]: '0x60',
  [`rollouts_cv_bot_slack_rate_limited_total${bot('pod="bot-a",method="chat.update"')}`]: '0x60',
};
const ENGINE_LABELS = { job: ENGINE_JOB, namespace: NAMESPACE };
const BOT_LABELS = { job: BOT_JOB, namespace: NAMESPACE };

interface Scenario {
  name: string;
  /** Series replacing or added to the healthy ones; null removes one. */
  series: Record<string, string | null>;
  /** The one alert expected, with the labels its expression yields; none: every alert quiet. */
  fires?: { alert: string; labels: Record<string, string> };
}

const SCENARIOS: Scenario[] = [
  { name: 'healthy', series: {} },
  { name: 'one engine replica down of two', series: { [`up${engine('pod="engine-b"')}`]: '0x60' } },
  {
    name: 'a few slow calls, p99 under the threshold',
    series: Object.fromEntries(BUCKETS.map((le) => [`rollouts_cv_engine_call_duration_seconds_bucket${engine(`pod="engine-a",method="Resume",le="${le}"`)}`, le === '0.1' ? '0+9x60' : '0+10x60'])),
  },
  {
    name: 'every engine replica down',
    series: { [`up${engine('pod="engine-a"')}`]: '0x60', [`up${engine('pod="engine-b"')}`]: '0x60' },
    fires: { alert: 'RolloutsCvEngineDown', labels: ENGINE_LABELS },
  },
  {
    name: 'no engine scraped at all',
    series: { [`up${engine('pod="engine-a"')}`]: null, [`up${engine('pod="engine-b"')}`]: null },
    fires: { alert: 'RolloutsCvEngineDown', labels: ENGINE_LABELS },
  },
  {
    name: 'calls answered with failures on one replica',
    series: { [`rollouts_cv_engine_calls_total${engine('pod="engine-a",method="Resume",outcome="error"')}`]: '0+3x60' },
    fires: { alert: 'RolloutsCvEngineCallErrors', labels: { ...ENGINE_LABELS, method: 'Resume' } },
  },
  {
    name: 'a backend failing',
    series: { [`rollouts_cv_collection_failures_total${engine('pod="engine-a",plugin="verify"')}`]: '0+1x60' },
    fires: { alert: 'RolloutsCvCollectionFailures', labels: { ...ENGINE_LABELS, plugin: 'verify' } },
  },
  {
    name: 'calls taking 10-30s',
    series: Object.fromEntries(BUCKETS.map((le) => [`rollouts_cv_engine_call_duration_seconds_bucket${engine(`pod="engine-a",method="Resume",le="${le}"`)}`, Number(le) < 30 ? '0x60' : '0+10x60'])),
    fires: { alert: 'RolloutsCvEngineSlow', labels: { ...ENGINE_LABELS, method: 'Resume' } },
  },
  {
    name: 'no bot replica leading',
    series: { [`rollouts_cv_bot_leader${bot('pod="bot-a"')}`]: '0x60' },
    fires: { alert: 'RolloutsCvBotNoLeader', labels: BOT_LABELS },
  },
  {
    name: 'no bot scraped at all',
    series: { [`rollouts_cv_bot_leader${bot('pod="bot-a"')}`]: null, [`rollouts_cv_bot_leader${bot('pod="bot-b"')}`]: null },
    fires: { alert: 'RolloutsCvBotNoLeader', labels: BOT_LABELS },
  },
  {
    name: 'Slack refusing messages',
    series: { [`rollouts_cv_bot_slack_api_errors_total${bot('pod="bot-a",method="chat.postMessage",error="not_in_channel"')}`]: '0+1x60' },
    fires: { alert: 'RolloutsCvBotSlackErrors', labels: { ...BOT_LABELS, method: 'chat.postMessage', error: 'not_in_channel' } },
  },
  {
    name: 'Slack rate-limiting updates',
    series: { [`rollouts_cv_bot_slack_rate_limited_total${bot('pod="bot-a",method="chat.update"')}`]: '0+1x60' },
    fires: { alert: 'RolloutsCvBotSlackRateLimited', labels: { ...BOT_LABELS, method: 'chat.update' } },
  },
];

/** A promtool unit test per scenario: at 30 minutes (past every `for`), its alert fires and every other is quiet. */
function promtoolTests(rendered: Rule[], scenarios: readonly Scenario[]): unknown {
  const byName = new Map(rendered.map((rule) => [rule.alert, rule]));
  return {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: scenarios.map((scenario) => {
      const series = { ...HEALTHY, ...scenario.series };
      return {
        name: scenario.name,
        interval: '1m',
        input_series: Object.entries(series).filter(([, values]) => values !== null).map(([name, values]) => ({ series: name, values })),
        alert_rule_test: ALERTS.map((alertname) => {
          const rule = byName.get(alertname)!;
          if (scenario.fires?.alert !== alertname) return { eval_time: '30m', alertname, exp_alerts: [] };
          const labels = { ...scenario.fires.labels, ...rule.labels };
          const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([key, text]) => [key, expandAnnotation(text, labels)]));
          return { eval_time: '30m', alertname, exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }] };
        }),
      };
    }),
  };
}

describeChart('Helm chart monitoring', () => {
  it('passes helm lint --strict with the monitoring values', () => {
    const result = helmRun(['lint', '--strict', chart, '--values', join(chart, 'ci', MONITORING)]);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it('renders no dashboard, PrometheusRule or bot metrics with the default values', () => {
    const kinds = (docs: K8s[]) => docs.map((doc) => doc.kind);
    const defaults = ok();
    expect(kinds(defaults)).not.toContain('ConfigMap');
    expect(kinds(defaults)).not.toContain('PrometheusRule');
    const withBot = ok({ set: ['bot.enabled=true', 'bot.slack.existingSecret=rollouts-cv-slack'] });
    expect(kinds(withBot)).not.toContain('PrometheusRule');
    expect(kinds(withBot)).not.toContain('ServiceMonitor');
    expect(find(withBot, 'Deployment', BOT_JOB)!.spec.template.spec.containers[0].args.join(' ')).not.toContain('--metrics-listen');
  });

  describe('the dashboard (ci/monitoring-values.yaml)', () => {
    const docs = ok({ values: [MONITORING] });
    const configMap = find(docs, 'ConfigMap', 'rcv-rollouts-cv-dashboard');
    const dashboard = JSON.parse(configMap?.data?.['rollouts-cv.json'] ?? 'null');
    const panels: any[] = dashboard?.panels ?? [];
    const queryPanels = panels.filter((panel) => panel.type !== 'row');

    it('is a ConfigMap for the Grafana sidecar in the monitoring namespace, holding dashboards/rollouts-cv.json', () => {
      expect(configMap?.metadata.namespace).toBe('monitoring');
      expect(configMap?.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
      expect(configMap?.metadata.annotations).toEqual({ 'k8s-sidecar-target-directory': 'rollouts-cv' });
      expect(dashboard).toEqual(JSON.parse(readFileSync(join(chart, 'dashboards/rollouts-cv.json'), 'utf8')));
    });

    it('takes the sidecar label, extra labels and annotations, and no folder, from values', () => {
      const custom = find(
        ok({ values: [MONITORING], set: ['grafanaDashboard.sidecarLabel=dashboards', 'grafanaDashboard.sidecarLabelValue=rollouts', 'grafanaDashboard.folder=', 'grafanaDashboard.labels.team=platform', 'grafanaDashboard.annotations.owner=sre'] }),
        'ConfigMap',
        'rcv-rollouts-cv-dashboard',
      );
      expect(custom?.metadata.labels).toMatchObject({ dashboards: 'rollouts', team: 'platform' });
      expect(custom?.metadata.labels).not.toHaveProperty('grafana_dashboard');
      expect(custom?.metadata.annotations).toEqual({ owner: 'sre' });
    });

    it('has uid rollouts-cv, schemaVersion 39 or later, and datasource and namespace variables', () => {
      expect(dashboard.uid).toBe('rollouts-cv');
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      const variables = new Map<string, any>(dashboard.templating.list.map((variable: { name: string }) => [variable.name, variable]));
      expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
      expect(variables.get('namespace')).toMatchObject({ type: 'query' });
    });

    it('names no data source but the variable', () => {
      const references: unknown[] = [];
      walk(dashboard, (key, value) => key === 'datasource' && references.push(value));
      expect(references.length).toBeGreaterThan(queryPanels.length);
      for (const reference of references) expect(reference).toEqual({ type: 'prometheus', uid: '${datasource}' });
    });

    it('has the rows asked for, and a description and a query on every panel', () => {
      expect(panels.filter((panel) => panel.type === 'row').map((panel) => panel.title)).toEqual(['Verifications', 'Engine calls', 'Collection failures', 'Engine process', 'Bot']);
      for (const panel of queryPanels) {
        expect(panel.description, panel.title).toMatch(/\w.{40,}/);
        expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      }
      expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    });

    it('queries in valid PromQL only metrics the engine and the bot serve, each from its own job in the chosen namespace', () => {
      for (const panel of queryPanels) {
        for (const { expr } of panel.targets) {
          const promql = grafanaToPromQL(expr);
          expect(queryProblems(promql, SERVED), `${panel.title}: ${expr}`).toEqual([]);
          for (const { metric, matchers } of readPromQL(promql).selectors) {
            const job = BOT_METRICS.includes(metric!) && metric !== 'rollouts_cv_build_info' ? '$bot_job' : '$engine_job';
            expect(matchers, `${panel.title}: ${metric}`).toMatchObject({ namespace: '$namespace', job });
          }
        }
      }
      for (const variable of dashboard.templating.list.filter((v: { type: string }) => v.type === 'query')) {
        const [, selector] = /^label_values\((.+), \w+\)$/.exec(variable.query.query) ?? [];
        expect(selector, variable.name).toBeDefined();
        expect(queryProblems(selector!, SERVED), variable.name).toEqual([]);
      }
    });

    it('tells broken queries and unknown metrics apart from good ones', () => {
      expect(queryProblems('sum(rate(rollouts_cv_engine_calls_total[5m])', SERVED)).not.toEqual([]);
      expect(queryProblems('rate(rollouts_cv_engine_calls_total[$__rate_interval])', SERVED)).not.toEqual([]);
      expect(queryProblems('sum(rate(rollouts_cv_engine_call_total[5m]))', SERVED)).toEqual(['unknown metric rollouts_cv_engine_call_total']);
      expect(queryProblems('{__name__="rollouts_cv_bot_leader"}', SERVED)).toEqual(['a selector without a metric name']);
      expect(queryProblems('histogram_quantile(0.5, sum by (le) (rate(rollouts_cv_engine_call_duration_seconds_bucket[5m])))', SERVED)).toEqual([]);
    });

    it('sets only colour-blind-safe colours', () => {
      const colours: string[] = [];
      walk(dashboard, (key, value) => (key === 'fixedColor' || key === 'color') && typeof value === 'string' && colours.push(value));
      expect(colours.length).toBeGreaterThan(10);
      expect(colours.filter((colour) => !COLOUR_BLIND_SAFE.has(colour))).toEqual([]);
    });
  });

  describe('the PrometheusRule (ci/monitoring-values.yaml)', () => {
    const docs = ok({ values: [MONITORING] });
    const rendered = rules(docs);
    const dir = mkdtempSync(join(tmpdir(), 'rollouts-cv-rules-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('has every alert, with its severity, the extra labels and summary, description and runbook', () => {
      const rule = docs.find((doc) => doc.kind === 'PrometheusRule')!;
      expect(rule.metadata.namespace).toBe(NAMESPACE);
      expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
      expect(rendered.map((r) => r.alert)).toEqual(ALERTS);
      for (const r of rendered) {
        expect(r.labels, r.alert).toEqual({ severity: r.alert === 'RolloutsCvEngineDown' ? 'critical' : 'warning', team: 'platform' });
        expect(Object.keys(r.annotations).sort(), r.alert).toEqual(['description', 'runbook', 'summary']);
      }
    });

    it('reads in valid PromQL only metrics the engine and the bot serve, and Prometheus\' up', () => {
      for (const r of rendered) expect(queryProblems(r.expr, new Set([...SERVED, 'up'])), r.alert).toEqual([]);
    });

    it('selects the job the ServiceMonitors yield: the Service name, in the release namespace', () => {
      const services = docs.filter((doc) => doc.kind === 'Service').map((doc) => doc.metadata.name).sort();
      expect(services).toEqual([ENGINE_JOB, BOT_JOB].sort());
      for (const r of rendered) {
        for (const { matchers } of readPromQL(r.expr).selectors) {
          expect(matchers, r.alert).toMatchObject({ job: r.alert.startsWith('RolloutsCvBot') ? BOT_JOB : ENGINE_JOB, namespace: NAMESPACE });
        }
      }
    });

    it.skipIf(!promtool && !inCI)('passes promtool check rules', () => {
      expect(promtool, 'promtool is missing: scripts/setup.sh installs Debian\'s prometheus package').toBeDefined();
      const file = join(dir, 'check.yaml');
      writeFileSync(file, stringify(docs.find((doc) => doc.kind === 'PrometheusRule')!.spec));
      const result = runPromtool(['check', 'rules', file]);
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain(`${ALERTS.length} rules found`);
    });

    it.skipIf(!promtool && !inCI)('fires each alert on its fault, once however many replicas, and none on healthy series (promtool test rules)', () => {
      expect(promtool, 'promtool is missing: scripts/setup.sh installs Debian\'s prometheus package').toBeDefined();
      writeFileSync(join(dir, 'rules.yaml'), stringify(docs.find((doc) => doc.kind === 'PrometheusRule')!.spec));
      writeFileSync(join(dir, 'tests.yaml'), stringify(promtoolTests(rendered, SCENARIOS)));
      const result = runPromtool(['test', 'rules', join(dir, 'tests.yaml')]);
      expect(result.status, result.output).toBe(0);
      expect(SCENARIOS.flatMap((scenario) => scenario.fires?.alert ?? []).sort()).toEqual([...ALERTS, 'RolloutsCvEngineDown', 'RolloutsCvBotNoLeader'].sort());
    });

    it.skipIf(!promtool && !inCI)('fails a unit test whose alert does not fire (the check can fail)', () => {
      expect(promtool, 'promtool is missing: scripts/setup.sh installs Debian\'s prometheus package').toBeDefined();
      writeFileSync(join(dir, 'rules.yaml'), stringify(docs.find((doc) => doc.kind === 'PrometheusRule')!.spec));
      const wrong: Scenario = { name: 'healthy, expecting an alert', series: {}, fires: { alert: 'RolloutsCvEngineDown', labels: ENGINE_LABELS } };
      writeFileSync(join(dir, 'wrong.yaml'), stringify(promtoolTests(rendered, [wrong])));
      const result = runPromtool(['test', 'rules', join(dir, 'wrong.yaml')]);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('RolloutsCvEngineDown');
    });
  });

  describe('PrometheusRule values', () => {
    const threshold = (set: string[], json: string[] = []) =>
      /\n\s*>= ([0-9.e+-]+)$/.exec(rules(ok({ values: [MONITORING], set, json })).find((r) => r.alert === 'RolloutsCvEngineSlow')!.expr)?.[1];

    // A p99 beyond the histogram's last finite bucket reads as that bucket's bound.
    async function lastFiniteBucket(): Promise<number> {
      const metrics = createEngineMetrics();
      metrics.call('Resume', 'ok', 1);
      const histogram = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'rollouts_cv_engine_call_duration_seconds');
      return Math.max(...histogram!.values.map((value) => Number(value.labels.le)).filter(Number.isFinite));
    }

    it('derives RolloutsCvEngineSlow from the bridge\'s --call-timeout, up to the histogram\'s last bucket', async () => {
      expect(threshold([])).toBe('24');
      expect(threshold(['argoRollouts.bridge.callTimeout=10s'])).toBe('8');
      expect(threshold(['argoRollouts.bridge.callTimeout=1m'], ['prometheusRule.alerts.RolloutsCvEngineSlow.timeoutRatio=0.25'])).toBe('15');
      expect(threshold(['argoRollouts.bridge.callTimeout=1500ms'])).toBe('1.2');
      expect(threshold(['argoRollouts.bridge.callTimeout=1m30s'])).toBe(String(await lastFiniteBucket()));
      const description = rules(ok({ values: [MONITORING], set: ['argoRollouts.bridge.callTimeout=45s'] })).find((r) => r.alert === 'RolloutsCvEngineSlow')!.annotations.description;
      expect(description).toContain('--call-timeout of 45s');
    });

    it('adds the bot\'s alerts only with the bot and its metrics', () => {
      const alerts = (set: string[]) => rules(ok({ set: ['prometheusRule.enabled=true', ...set] })).map((r) => r.alert);
      expect(alerts([])).toEqual(ENGINE_ALERTS);
      expect(alerts(['bot.enabled=true', 'bot.slack.existingSecret=s'])).toEqual(ENGINE_ALERTS);
      expect(alerts(['bot.enabled=true', 'bot.slack.existingSecret=s', 'bot.metrics.enabled=true'])).toEqual(ALERTS);
    });

    it('overrides each alert\'s for, severity and presence, the selectors, and appends extra rules', () => {
      const custom = rules(
        ok({
          values: [MONITORING],
          set: [
            'prometheusRule.alerts.RolloutsCvEngineDown.for=1m',
            'prometheusRule.alerts.RolloutsCvEngineDown.severity=page',
            'prometheusRule.alerts.RolloutsCvBotSlackRateLimited.enabled=false',
            'prometheusRule.alertLabels.severity=ignored',
            'prometheusRule.engineSelector=job="cv-engine"',
            'prometheusRule.extraRules[0].record=rollouts_cv:engine_calls:rate5m',
            'prometheusRule.extraRules[0].expr=sum(rate(rollouts_cv_engine_calls_total[5m]))',
          ],
        }),
      );
      const down = custom.find((r) => r.alert === 'RolloutsCvEngineDown')!;
      expect(down).toMatchObject({ for: '1m', labels: { severity: 'page', team: 'platform' } });
      expect(readPromQL(down.expr).selectors.map((s) => s.matchers)).toEqual([{ job: 'cv-engine' }, { job: 'cv-engine' }]);
      expect(custom.map((r) => r.alert ?? (r as unknown as { record: string }).record)).toEqual([...ALERTS.filter((a) => a !== 'RolloutsCvBotSlackRateLimited'), 'rollouts_cv:engine_calls:rate5m']);
    });

    it('refuses alerts without the engine\'s metrics, and malformed alert settings', () => {
      const noMetrics = render({ set: ['prometheusRule.enabled=true', 'engine.metrics.enabled=false'] });
      expect(noMetrics.status).not.toBe(0);
      expect(noMetrics.stderr).toContain('prometheusRule.enabled needs engine.metrics.enabled');
      const badFor = render({ set: ['prometheusRule.enabled=true', 'prometheusRule.alerts.RolloutsCvEngineDown.for=soon'] });
      expect(badFor.stderr).toContain('/prometheusRule/alerts/RolloutsCvEngineDown/for');
      const badRatio = render({ set: ['prometheusRule.enabled=true', 'prometheusRule.alerts.RolloutsCvEngineSlow.timeoutRatio=2'] });
      expect(badRatio.stderr).toContain('/prometheusRule/alerts/RolloutsCvEngineSlow/timeoutRatio');
      const unknown = render({ set: ['prometheusRule.alerts.RolloutsCvEngineDwn.for=1m'] });
      expect(unknown.status).not.toBe(0);
    });
  });

  describe('the bot\'s metrics (ci/monitoring-values.yaml)', () => {
    const docs = ok({ values: [MONITORING] });
    const container = find(docs, 'Deployment', BOT_JOB)!.spec.template.spec.containers[0];

    it('serves them on port 9091, exposed by the Service as port metrics', () => {
      expect(container.args).toContain('--metrics-listen=0.0.0.0:9091');
      expect(container.ports).toContainEqual({ name: 'metrics', containerPort: 9091, protocol: 'TCP' });
      expect(find(docs, 'Service', BOT_JOB)!.spec.ports).toContainEqual({ name: 'metrics', port: 9091, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' });
    });

    it('is scraped by a ServiceMonitor of the bot Service, with the Prometheus\' labels', () => {
      const monitor = find(docs, 'ServiceMonitor', BOT_JOB)!;
      expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack', 'app.kubernetes.io/component': 'bot' });
      expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [NAMESPACE] });
      expect(find(docs, 'Service', BOT_JOB)!.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', scheme: 'http', interval: '30s', scrapeTimeout: '10s' }]);
    });

    it('admits only the monitoring namespace to the metrics port, and leaves the Slack port as it was', () => {
      expect(find(docs, 'NetworkPolicy', BOT_JOB)!.spec.ingress).toEqual([
        { ports: [{ port: 'http', protocol: 'TCP' }] },
        { ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
      ]);
    });

    it('keeps a Service with only the metrics port in socket mode', () => {
      const socket = ok({ values: ['bot-socket-values.yaml'], set: ['bot.metrics.enabled=true'] });
      expect(find(socket, 'Service', BOT_JOB)!.spec.ports.map((port: { name: string }) => port.name)).toEqual(['metrics']);
      expect(find(ok({ values: ['bot-socket-values.yaml'] }), 'Service', BOT_JOB)).toBeUndefined();
    });

    it('refuses a ServiceMonitor without metrics, and metrics on the Slack port', () => {
      const noMetrics = render({ values: [MONITORING], set: ['bot.metrics.enabled=false'] });
      expect(noMetrics.status).not.toBe(0);
      expect(noMetrics.stderr).toContain('bot.metrics.serviceMonitor.enabled needs bot.metrics.enabled');
      const samePort = render({ values: [MONITORING], set: ['bot.metrics.port=3000'] });
      expect(samePort.status).not.toBe(0);
      expect(samePort.stderr).toContain('bot.metrics.port 3000 is also bot.port');
    });
  });
});
