// The report as one HTML page: readable without scripts (every chart has its text alternative and a data table),
// keyboard navigable, and drawn with the ECharts bundle the page is given (served by the engine, or inlined in a
// file the CLI writes): nothing is loaded from the internet.
import { createHash } from 'node:crypto';
import escapeHtml from 'escape-html';
import { extent } from 'simple-statistics';
import { formatChange, formatConfidence, formatMetricValue } from '../judge/explain.js';
import { chartDescription, metricChartOption } from './charts.js';
import { describeWindow, type Report, type ReportMetric } from './model.js';
import { PAGE_SCRIPT } from './page-script.js';

/** Where the page finds ECharts: a URL the engine serves, or the bundle's text to inline. */
export type EchartsAsset = { src: string } | { inline: string };

const e = (value: unknown) => escapeHtml(String(value));

const STYLE = `
:root { color-scheme: light; --fg: #1a1a1a; --muted: #555; --line: #d0d0d0; --focus: #0072B2; }
* { box-sizing: border-box; }
body { font: 15px/1.5 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; background: #fff; }
a { color: #0057a3; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; } h2 { font-size: 1.25rem; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 2rem; } h3 { font-size: 1.1rem; margin-bottom: 0.25rem; }
.verdict { display: inline-block; font-weight: bold; font-size: 1.2rem; padding: 4px 12px; border-radius: 4px; border: 2px solid; }
.v-Healthy { background: #e3f2ec; border-color: #009E73; } .v-MediumHealthy { background: #fdf3dc; border-color: #E69F00; }
.v-Unhealthy { background: #fbe4d8; border-color: #D55E00; } .v-Inconclusive, .v-NoData, .v-undecided { background: #eeeeee; border-color: #666; }
.badge { font-size: 0.8rem; font-weight: bold; padding: 1px 6px; border: 1px solid; border-radius: 3px; margin-left: 6px; vertical-align: middle; }
.c-fail { border-color: #D55E00; color: #8f3d00; } .c-marginal { border-color: #E69F00; color: #7a5200; } .c-pass { border-color: #009E73; color: #006247; } .c-inconclusive, .c-nodata { border-color: #666; color: #444; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; } dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
.notes { border-left: 4px solid #E69F00; background: #fdf3dc; padding: 8px 12px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; } th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 8px 0; } .chart { width: 100%; height: 320px; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.9rem; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.85rem; } pre { background: #f6f6f6; padding: 12px; overflow: auto; }
.samples { margin: 0; padding-left: 16px; }
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const PAGE_SCRIPT_HASH = hash(PAGE_SCRIPT);

/** The last inlined bundle's hash: every page a process writes inlines the same megabyte of ECharts. */
let inlinedBundle: { text: string; hash: string } | undefined;

function bundleHash(text: string): string {
  if (inlinedBundle?.text !== text) inlinedBundle = { text, hash: hash(text) };
  return inlinedBundle.hash;
}

/**
 * The page's Content-Security-Policy: no script but its own inline one (by hash) and, when served, the ECharts
 * bundle from the same origin; no connections, forms or plugins. Styles may be inline: ECharts styles the elements
 * it draws with style attributes, which no hash can allow (every text on the page is escaped, so none is the
 * page's own). A server adds `frame-ancestors`, which a <meta> element cannot carry.
 */
export function contentSecurityPolicy(asset: EchartsAsset): string {
  const scripts = [PAGE_SCRIPT_HASH, 'inline' in asset ? bundleHash(asset.inline) : "'self'"];
  return [`default-src 'none'`, `script-src ${scripts.join(' ')}`, `style-src 'unsafe-inline'`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
}

/** JSON inside a <script> element: `<` escaped so no string in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const confidence = (value: number | null | undefined) => (value === null || value === undefined ? '–' : formatConfidence(value));

function verdictBadge(report: Report): string {
  const verdict = report.verdict ?? 'undecided';
  const score = report.score === null ? '' : ` · score ${report.score}/100`;
  return `<p><span class="verdict v-${e(verdict)}">${e(verdict)}${e(score)} · ${e(report.phase)}</span></p>`;
}

function metricRow(metric: ReportMetric, index: number): string {
  const j = metric.judgement;
  const value = (v: number | null) => (v === null ? '–' : formatMetricValue(v, j.kind));
  return `<tr><td><a href="#metric-${index}">${e(j.name)}</a></td><td>${e(j.kind)}</td><td><span class="badge c-${e(j.classification)}">${e(j.classification)}</span></td>`
    + `<td class="num">${e(value(j.canary))}</td><td class="num">${e(value(j.baseline))}</td><td class="num">${e(j.change === null ? '–' : formatChange(j.change))}</td>`
    + `<td class="num">${e(confidence(j.confidence))}</td><td class="num">${e(confidence(j.threshold?.confidence))}</td></tr>`;
}

function podTable(metric: ReportMetric): string {
  const format = (v: number) => formatMetricValue(v, metric.judgement.kind);
  const rows = (['canary', 'baseline'] as const).flatMap((group) =>
    metric[group].pods.map((pod) => {
      const values = pod.points.map(([, v]) => v);
      const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
      // A loop, not Math.min(...values): a pod may have more points than a call takes arguments (and has at least one).
      const [min, max] = extent(values);
      return `<tr><td>${group}</td><td>${e(pod.pod)}</td><td class="num">${values.length}</td><td class="num">${e(format(mean))}</td><td class="num">${e(format(min))}</td><td class="num">${e(format(max))}</td></tr>`;
    }),
  );
  if (!rows.length) return '<p>No data in the window for either group.</p>';
  return `<table><caption class="skip">Per pod</caption><thead><tr><th>group</th><th>pod</th><th class="num">points</th><th class="num">mean</th><th class="num">min</th><th class="num">max</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function metricSection(metric: ReportMetric, index: number): string {
  const j = metric.judgement;
  const t = j.threshold;
  const facts = [
    ['Test', metric.test],
    ['Confidence it is worse', j.confidence === null ? 'not tested' : `${confidence(j.confidence)}${t ? ` (needed ${confidence(t.confidence)} at this look)` : ''}`],
    ...(t ? [['Thresholds', `marginal from ${Math.round(t.marginal * 100)}%, failing from ${Math.round(t.fail * 100)}% (${t.sensitivity} sensitivity)`]] : []),
    ...(j.evidence ? [['Evidence', `canary ${j.evidence.canary.toLocaleString('en-US')}, baseline ${j.evidence.baseline.toLocaleString('en-US')} ${j.kind === 'ratio' ? 'requests' : 'samples'}`]] : []),
    ['Direction', j.direction],
  ];
  const id = `metric-${index}`;
  return `<section id="${id}" aria-labelledby="${id}-title"><h3 id="${id}-title">${e(j.name)} <span class="badge c-${e(j.classification)}">${e(j.classification)}</span></h3>
<p>${e(j.reason)}</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>
<figure><div class="chart" id="${id}-chart" data-chart="${index}" tabindex="0" role="img" aria-label="${e(`Chart: ${chartDescription(metric)} Arrow keys step through the canary's points.`)}"></div>
<figcaption>${e(chartDescription(metric))}</figcaption>
<details><summary>Data per pod</summary>${podTable(metric)}</details></figure></section>`;
}

function logsSection(report: Report): string {
  const logs = report.logs;
  if (!logs) return '';
  const rows = logs.findings.map((f) => `<tr><td><code>${e(f.template)}</code><ul class="samples">${f.samples.map((s) => `<li><code>${e(s)}</code></li>`).join('')}</ul></td><td>${e(f.class)}${f.risk ? ' <span class="badge c-fail">risk</span>' : ''}${f.feedback ? ` <span class="badge c-pass">marked ${e(f.feedback)}</span>` : ''}</td><td>${e(f.level)}</td><td class="num">${f.canary}</td><td class="num">${f.baseline}</td><td class="num">${Number(f.expected.toPrecision(3))}</td></tr>`);
  return `<section id="logs" aria-labelledby="logs-title"><h2 id="logs-title">Logs <span class="badge c-${e(logs.classification)}">${e(logs.classification)}</span></h2>
<p>${e(logs.reason)}</p><p>Lines judged: canary ${logs.volumes.canary.toLocaleString('en-US')}, baseline ${logs.volumes.baseline.toLocaleString('en-US')}${logs.volumes.history !== undefined ? `, baseline before the window ${logs.volumes.history.toLocaleString('en-US')}` : ''}.${logs.more ? ` ${logs.more} more templates not shown.` : ''}</p>
${rows.length ? `<table><thead><tr><th>template and masked samples</th><th>finding</th><th>level</th><th class="num">canary</th><th class="num">baseline</th><th class="num">expected</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>No templates to show.</p>'}</section>`;
}

export interface PageOptions {
  echarts: EchartsAsset;
}

export function renderReportHtml(report: Report, { echarts }: PageOptions): string {
  const charts = report.metrics.map((metric) => metricChartOption(metric));
  const recorded = report.recorded;
  const facts: [string, string][] = [
    ['Canary', report.groups.canary],
    ['Baseline', report.groups.baseline],
    ['Window', describeWindow(report)],
    ['Judged', `${report.judged.start} to ${report.judged.end}`],
    ['Sensitivity', report.sensitivityMeaning],
    // What the verification said when it decided, when that is not the sentence above (decided early, terminated).
    ...(recorded?.message && recorded.message !== report.sentence ? [['Recorded', `${recorded.phase ?? ''}: ${recorded.message}`] as [string, string]] : []),
    ['Report generated', report.generatedAt],
  ];
  const related = [...report.links.map((l) => `<li><a href="${e(l.href)}">${e(l.label)}</a></li>`), ...report.commands.map((c) => `<li><code>${e(c)}</code></li>`)];
  const links = related.length ? `<nav aria-label="Related objects"><h2>See also</h2><ul>${related.join('')}</ul></nav>` : '';
  const notes = report.notes.length ? `<section class="notes" aria-label="Notes"><ul>${report.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul></section>` : '';
  const bundle = 'inline' in echarts ? `<script>${echarts.inline}</script>` : `<script src="${e(echarts.src)}"></script>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy(echarts))}">
<meta name="referrer" content="no-referrer">
<title>${e(`${report.verdict ?? 'undecided'}: ${report.subject}`)}</title><style>${STYLE}</style></head>
<body><a class="skip" href="#metrics">Skip to the metrics</a>
<header><h1>Verification report: ${e(report.subject)}</h1>${verdictBadge(report)}<p>${e(report.sentence)}</p></header>
<main>${notes}<dl class="facts">${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>
<section id="metrics" aria-labelledby="metrics-title"><h2 id="metrics-title">Metrics</h2>
<table><caption class="skip">Every metric, worst first</caption><thead><tr><th>metric</th><th>kind</th><th>result</th><th class="num">canary</th><th class="num">baseline</th><th class="num">change</th><th class="num">confidence worse</th><th class="num">needed</th></tr></thead>
<tbody>${report.metrics.map(metricRow).join('')}</tbody></table>
${report.metrics.map(metricSection).join('\n')}</section>
${logsSection(report)}
<section id="config" aria-labelledby="config-title"><h2 id="config-title">Config</h2><pre><code>${e(report.config)}</code></pre></section>${links}</main>
<script type="application/json" id="report-charts">${scriptJson(charts)}</script>
${bundle}
<script>${PAGE_SCRIPT}</script></body></html>
`;
}
