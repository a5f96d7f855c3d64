import { createHash } from 'node:crypto';
import escapeHtml from 'escape-html';
import { describe, expect, it, vi } from 'vitest';
import { parseVerifyConfig } from '../config/schema.js';
import { formatMetricValue } from '../judge/explain.js';
import type { LogsJudgement } from '../judge/types.js';
import { metricChartOption } from './charts.js';
import { contentSecurityPolicy, renderReportHtml, type EchartsAsset } from './html.js';
import type { Report } from './model.js';
import { judgedReport } from './report.test-helpers.js';
import type { Point } from './series.js';

// Every hash the page computes, counted: the policy hashes each script once per process.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, createHash: vi.fn(crypto.createHash) };
});

// Closes a <script>, opens one; closes an attribute, adds an element with a handler; ends a JavaScript line.
const HOSTILE = `</script><script>alert(1)</script>"><img src=x onerror=alert(1)>'\u2028\u2029&`;

const logs: LogsJudgement = {
  kind: 'logs',
  name: 'logs',
  classification: 'fail',
  severity: 'moderate',
  critical: false,
  weight: 1,
  mustHaveData: false,
  reason: `logs: a new template ${HOSTILE}`,
  findings: [
    { id: 't1', template: HOSTILE, class: 'unknown', level: 'error', canary: 12, baseline: 0, expected: 0.1234, pValue: 0.001, adjustedPValue: 0.002, risk: true, feedback: 'raise-risk', samples: [HOSTILE, 'plain sample'], reason: HOSTILE },
  ],
  more: 2,
  volumes: { canary: 1200, baseline: 5400, history: 20000 },
};

/** A report whose every free text — subject, groups, pods, metric names, logs, config, links — is hostile. */
function hostileReport(): Report {
  const written = {
    duration: '5m',
    canary: { podTemplateHash: `new${HOSTILE}` },
    baseline: { podTemplateHash: 'old' },
    source: { prometheus: { address: 'http://prometheus:9090' } },
    metrics: [
      { name: 'latency', kind: 'latency', query: `latency{\${selector}, note="${HOSTILE}"}` },
      { name: 'errors', kind: 'ratio', numerator: 'e_total{${selector}}', denominator: 'r_total{${selector}}' },
    ],
  };
  const parsed = parseVerifyConfig(written);
  // Metric names are checked by the config schema; the page must not rely on it.
  const config = { ...parsed, metrics: parsed.metrics.map((m) => ({ ...m, name: `${m.name}${HOSTILE}` })) };
  return judgedReport({
    config,
    canaryPods: `canary${HOSTILE}`,
    logs,
    subject: HOSTILE,
    rawConfig: written,
    recorded: { phase: 'Failed', message: HOSTILE, summary: { verdict: 'Unhealthy', score: 0, reasons: [HOSTILE] } },
    links: [{ label: HOSTILE, href: `https://example.test/?q=${HOSTILE}` }],
    commands: [`kubectl get analysisrun ${HOSTILE}`],
  });
}

const SERVED: EchartsAsset = { src: '/assets/echarts-1.0.0.min.js' };
const report = hostileReport();
const page = renderReportHtml(report, { echarts: SERVED });

/** The text of each `element` whose opening tag matches `open`, up to the element's end tag. */
function contents(html: string, element: string, open: RegExp): string[] {
  return [...html.matchAll(new RegExp(`${open.source}([\\s\\S]*?)</${element}>`, 'g'))].map((m) => m[1]!);
}

/** Every element's opening tag, its quoted attribute values left out (escaped text may say anything in them). */
function openingTags(html: string): string[] {
  return [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0].replace(/"[^"]*"/g, '""'));
}

const unescapeAttribute = (text: string) => text.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The page's CSP, from its <meta>. */
function cspOf(html: string): string {
  const content = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
  expect(content).toBeDefined();
  return unescapeAttribute(content!);
}

/** The page's CSP as directive → sources. */
function policyOf(html: string): Map<string, string[]> {
  return new Map(
    cspOf(html)
      .split('; ')
      .map((directive) => {
        const [name, ...sources] = directive.split(' ');
        return [name!, sources];
      }),
  );
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const PAGE_ELEMENTS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'a', 'header', 'h1', 'h2', 'h3', 'p', 'span', 'main', 'section', 'ul', 'li', 'dl', 'dt', 'dd', 'nav', 'table', 'caption', 'thead', 'tbody', 'tr', 'th', 'td', 'figure', 'div', 'figcaption', 'details', 'summary', 'pre', 'code', 'script']);

describe('renderReportHtml with hostile text', () => {
  it('has no markup but its own: three scripts (the chart data, the bundle, the page script), known elements, no handlers', () => {
    expect([...page.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="application/json" id="report-charts">', `<script src="${SERVED.src}">`, '<script>']);
    const elements = new Set([...page.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...elements].filter((name) => !PAGE_ELEMENTS.has(name))).toEqual([]);
    expect(openingTags(page).filter((tag) => /\son[a-z]+\s*=/i.test(tag))).toEqual([]);
  });

  it('shows the hostile text as text wherever it appears', () => {
    const text = escapeHtml(HOSTILE);
    expect(page).toContain(`<h1>Verification report: ${text}</h1>`);
    expect(page).toContain(`<title>${report.verdict}: ${text}</title>`);
    expect(page).toContain(`<dd>new${text}</dd>`);
    expect(page).toContain(`<td>canary${text}-0</td>`);
    report.metrics.forEach((metric, i) => expect(page).toContain(`<a href="#metric-${i}">${escapeHtml(metric.judgement.name)}</a>`));
    expect(report.metrics.every((metric) => metric.judgement.name.endsWith(HOSTILE))).toBe(true);
    expect(page).toContain(`<code>${text}</code><ul class="samples"><li><code>${text}</code></li>`);
    expect(page).toContain(`<dd>Failed: ${text}</dd>`);
    expect(page).toContain(`<li><a href="https://example.test/?q=${text}">${text}</a></li>`);
    expect(page).toContain(`<li><code>kubectl get analysisrun ${text}</code></li>`);
    // The config section: the YAML as written, the hostile query in it.
    const config = contents(page, 'code', /<section id="config"[^>]*><h2[^>]*>Config<\/h2><pre><code>/)[0]!;
    expect(config).toContain(escapeHtml('</script><script>alert(1)</script>'));
    expect(config).not.toContain('<');
  });

  it('embeds the chart options as JSON that cannot end its element, and that parses back to them exactly', () => {
    const [json] = contents(page, 'script', /<script type="application\/json" id="report-charts">/);
    expect(json).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(json!)).toStrictEqual(report.metrics.map((metric) => metricChartOption(metric)));
    // The hostile text survives inside: the pod series are named after the pods.
    expect(json).toContain('\\u003c/script>');
  });
});

describe('the page’s Content-Security-Policy', () => {
  it('allows exactly the inline script the page has, by hash, and the served bundle from its own origin; nothing else', () => {
    const policy = policyOf(page);
    expect(cspOf(page)).toBe(contentSecurityPolicy(SERVED));
    const [pageScript] = contents(page, 'script', /<script>/);
    expect(policy.get('script-src')).toEqual([sha256(pageScript!), "'self'"]);
    // Inline styles are allowed (ECharts draws with style attributes): no text of the page's is markup, so none can add one.
    expect(policy.get('style-src')).toEqual(["'unsafe-inline'"]);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'none'"]);
    expect([...policy.entries()].filter(([name, sources]) => name !== 'style-src' && sources.includes("'unsafe-inline'"))).toEqual([]);
  });

  it('inlines the bundle when given its text, hashed instead of allowed by origin', () => {
    const bundle = 'window.echarts = { init: function () {} };';
    const inlined = renderReportHtml(report, { echarts: { inline: bundle } });
    const scripts = contents(inlined, 'script', /<script>/);
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toBe(bundle);
    expect(policyOf(inlined).get('script-src')).toEqual([sha256(scripts[1]!), sha256(bundle)]);
    expect(inlined).not.toMatch(/<script src=/);
  });

  it('hashes the page script once, and an inlined bundle once for every page that inlines it', () => {
    const bundle = `window.echarts = { version: '${'x'.repeat(1000)}' };`;
    const hashes = () => vi.mocked(createHash).mock.calls.length;
    const first = hashes();
    const policy = contentSecurityPolicy({ inline: bundle });
    expect(hashes()).toBe(first + 1);
    // The same text read again is not a new bundle.
    for (let page = 0; page < 3; page++) expect(contentSecurityPolicy({ inline: [...bundle].join('') })).toBe(policy);
    expect(contentSecurityPolicy(SERVED)).toContain("'self'");
    expect(hashes()).toBe(first + 1);
    // Another bundle is hashed for itself.
    const other = `${bundle};`;
    expect(policyOf(renderReportHtml(report, { echarts: { inline: other } })).get('script-src')![1]).toBe(sha256(other));
  });
});

describe('the page without a mouse or without scripts', () => {
  it('makes every chart a focusable image with a label, beside a text alternative, one per metric in the chart data', () => {
    const charts = [...page.matchAll(/<div class="chart" id="metric-(\d+)-chart" data-chart="(\d+)" tabindex="0" role="img" aria-label="([^"]+)"><\/div>\n<figcaption>([^<]+)<\/figcaption>/g)];
    expect(charts).toHaveLength(report.metrics.length);
    expect(page.match(/class="chart"/g)).toHaveLength(report.metrics.length);
    charts.forEach((chart, i) => {
      expect(chart[1]).toBe(String(i));
      expect(chart[2]).toBe(String(i));
      expect(unescapeAttribute(chart[3]!)).toMatch(/^Chart: [\s\S]+ over the window, 3 canary pods against 5 baseline pods/);
      expect(unescapeAttribute(chart[4]!)).toContain(report.metrics[i]!.judgement.name);
    });
  });

  it('has a skip link to the metrics, and every in-page link reaches an element', () => {
    expect(page).toMatch(/<body><a class="skip" href="#metrics">/);
    const ids = new Set([...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const targets = [...page.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
    expect(targets).toContain('metrics');
    expect(targets.filter((target) => !ids.has(target))).toEqual([]);
  });

  it('gives every pod’s numbers in a table, and the logs’ findings', () => {
    expect(page.match(/<summary>Data per pod<\/summary><table>/g)).toHaveLength(2);
    expect(page).toContain('Lines judged: canary 1,200, baseline 5,400, baseline before the window 20,000. 2 more templates not shown.');
    expect(page).toContain('<td class="num">12</td><td class="num">0</td><td class="num">0.123</td>');
  });

  it('gives the numbers of a pod with more points than a function call takes arguments (an hour at 1 s over many pods)', () => {
    const judged = judgedReport();
    const latency = judged.metrics.find((m) => m.judgement.kind === 'latency')!;
    // 300,000 points from 0.1 to 0.4, the extremes in the middle of the series.
    const points = Array.from({ length: 300_000 }, (_, i): Point => [i * 1000, 0.2 + (i % 1000) / 10_000]);
    points[150_000]![1] = 0.1;
    points[150_001]![1] = 0.4;
    const long = { ...judged, metrics: [{ ...latency, canary: { pods: [{ pod: 'web-long', points }], aggregate: [] } }] };
    const format = (v: number) => escapeHtml(formatMetricValue(v, 'latency'));
    const mean = points.reduce((sum, [, v]) => sum + v, 0) / points.length;
    expect(renderReportHtml(long, { echarts: SERVED })).toContain(
      `<tr><td>canary</td><td>web-long</td><td class="num">300000</td><td class="num">${format(mean)}</td><td class="num">${format(0.1)}</td><td class="num">${format(0.4)}</td></tr>`,
    );
  });
});
