// `verify`: a rollouts-cv verification of a Rollout's canary pods against its stable pods, as an AnalysisRun made
// from an (Cluster)AnalysisTemplate, so that the result lives where Argo Rollouts users look (`kubectl argo rollouts
// get`, the dashboard). The template's `canary-hash` and `stable-hash` args, when it declares them and the step
// does not set them, get the Rollout's canary and stable pod template hashes, as a Rollout's analysis step would.
// The AnalysisRun is named after the step's key, so a repeated look finds it instead of starting a second one.
// When it ends, the step's outputs name it, its phase and, when a rollouts-cv measurement links one, the report page
// of its most decisive metric (which the Slack bot shows in the run's thread).
import { createHash } from 'node:crypto';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { formatDuration } from '../../config/duration.js';
import { isApiStatus } from '../../kube/api-errors.js';
import { ANALYSIS_RUNS, ROLLOUTS, type Rollout } from '../../kube/rollout-types.js';
import { type AnalysisRun, reportOfMetric, verdictOf } from '../../verdicts/evidence.js';
import type { StepExecutor, StepOutcome } from '../advance.js';
import type { TargetGuard } from '../targets.js';
import { render } from '../template.js';

const ANALYSIS_TEMPLATES = { group: 'argoproj.io', version: 'v1alpha1', plural: 'analysistemplates' } as const;
const CLUSTER_ANALYSIS_TEMPLATES = { group: 'argoproj.io', version: 'v1alpha1', plural: 'clusteranalysistemplates' } as const;
export const PIPELINE_RUN_LABEL = 'rollouts-cv.io/pipeline-run';
/** Names the run as `<namespace>/<name>`, which a label value cannot hold. */
export const PIPELINE_RUN_ANNOTATION = 'rollouts-cv.io/pipeline-run';
const POLL_MS = 10_000;

interface TemplateArg {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface AnalysisTemplate {
  spec: { args?: TemplateArg[]; metrics: unknown[]; dryRun?: unknown; measurementRetention?: unknown };
}

/** `<rollout>-verify-<12 hex of the key>`, at most 63 characters (a label value names it too). */
export function analysisRunName(rollout: string, key: string): string {
  return `${rollout.slice(0, 63 - 20).replace(/-+$/, '')}-verify-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * Each metric's say in one line: the verdict and top reasons of a rollouts-cv measurement (its value, as evidence),
 * else the measurement's or the metric's message; else what the run says.
 */
function findings(run: AnalysisRun): string {
  const said: string[] = [];
  for (const metric of run.status?.metricResults ?? []) {
    const verdict = verdictOf(metric);
    const text = verdict ? [verdict.verdict, ...verdict.reasons.slice(0, 3)].join('; ') : (metric.measurements?.at(-1)?.message ?? metric.message ?? '');
    if (text) said.push(`${metric.name}: ${text}`);
  }
  return said.join(' | ') || run.status?.message || 'no measurement';
}

/** The report of the most decisive metric that links one: the first that failed, in the run's order, else the first. */
function decisiveReport(run: AnalysisRun): string | undefined {
  const linked = (run.status?.metricResults ?? []).flatMap((metric) => {
    const report = reportOfMetric(metric);
    return report ? [{ failed: metric.phase === 'Failed', report }] : [];
  });
  return (linked.find((metric) => metric.failed) ?? linked[0])?.report;
}

function outcomeOf(run: AnalysisRun, where: string): StepOutcome | undefined {
  const phase = run.status?.phase;
  const what = `AnalysisRun ${where} ${phase}: ${findings(run)}`;
  const report = decisiveReport(run);
  const outputs = { analysisRun: run.metadata.name, phase: phase ?? '', ...(report && { report }) };
  switch (phase) {
    case 'Successful':
      return { phase: 'Succeeded', message: what, outputs };
    case 'Failed':
    case 'Inconclusive':
      return { phase: 'Failed', failure: 'verification', message: what, outputs };
    case 'Error':
      return { phase: 'Failed', failure: 'error', message: what, outputs };
    default:
      return undefined;
  }
}

export function verifyStep(api: CustomObjectsApi, guard: TargetGuard): StepExecutor {
  return async (step, record, { run, key, scope, now }) => {
    const spec = step.verify!;
    const namespace = spec.namespace ?? run.namespace;
    await guard(run.namespace, namespace, `rollout ${namespace}/${spec.rollout}`);
    const name = analysisRunName(spec.rollout, key);
    const where = `${namespace}/${name}`;
    let analysis: AnalysisRun | undefined;
    try {
      analysis = (await api.getNamespacedCustomObject({ ...ANALYSIS_RUNS, namespace, name })) as AnalysisRun;
    } catch (error) {
      if (!isApiStatus(error, 404)) throw error;
    }
    if (!analysis) {
      let rollout: Rollout;
      try {
        rollout = (await api.getNamespacedCustomObject({ ...ROLLOUTS, namespace, name: spec.rollout })) as Rollout;
      } catch (error) {
        if (isApiStatus(error, 404)) return { phase: 'Failed', failure: 'error', message: `rollout ${namespace}/${spec.rollout} does not exist` };
        throw error;
      }
      const canary = rollout.status?.currentPodHash;
      const stable = rollout.status?.stableRS;
      if (!canary || !stable || canary === stable) return { phase: 'Failed', failure: 'error', message: `rollout ${namespace}/${spec.rollout} has no canary to verify (canary ${canary ?? 'none'}, stable ${stable ?? 'none'})` };
      const templateKind = spec.template.clusterScope ? CLUSTER_ANALYSIS_TEMPLATES : ANALYSIS_TEMPLATES;
      let template: AnalysisTemplate;
      try {
        template = (await (spec.template.clusterScope
          ? api.getClusterCustomObject({ ...templateKind, name: spec.template.name })
          : api.getNamespacedCustomObject({ ...templateKind, namespace, name: spec.template.name }))) as AnalysisTemplate;
      } catch (error) {
        if (isApiStatus(error, 404)) return { phase: 'Failed', failure: 'error', message: `${spec.template.clusterScope ? 'ClusterAnalysisTemplate' : `AnalysisTemplate ${namespace}/`}${spec.template.name} does not exist` };
        throw error;
      }
      const given = new Map(spec.args.map((arg) => [arg.name, render(arg.value, scope)]));
      const hashes: Record<string, string> = { 'canary-hash': canary, 'stable-hash': stable };
      const args = (template.spec.args ?? []).map((arg) => {
        const value = given.get(arg.name) ?? hashes[arg.name] ?? arg.value;
        if (value === undefined) throw new Error(`the template's arg "${arg.name}" has no value: give it in the step's args`);
        return { name: arg.name, value };
      });
      const body = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AnalysisRun',
        metadata: {
          name,
          namespace,
          // A label value holds 63 characters; the annotation always names the run.
          labels: { ...(run.name.length <= 63 && { [PIPELINE_RUN_LABEL]: run.name }), 'rollouts-cv.io/pipeline-step': step.name },
          annotations: { [PIPELINE_RUN_ANNOTATION]: `${run.namespace}/${run.name}` },
        },
        spec: { args, metrics: template.spec.metrics, ...(template.spec.dryRun ? { dryRun: template.spec.dryRun } : {}), ...(template.spec.measurementRetention ? { measurementRetention: template.spec.measurementRetention } : {}) },
      };
      try {
        analysis = (await api.createNamespacedCustomObject({ ...ANALYSIS_RUNS, namespace, body })) as AnalysisRun;
      } catch (error) {
        if (!isApiStatus(error, 409)) throw error;
        analysis = (await api.getNamespacedCustomObject({ ...ANALYSIS_RUNS, namespace, name })) as AnalysisRun;
      }
    }
    const ended = outcomeOf(analysis, where);
    if (ended) return ended;
    const startedAt = Date.parse(record.startedAt ?? now.toISOString());
    if (now.getTime() - startedAt >= spec.timeout) {
      return { phase: 'Failed', failure: 'error', message: `AnalysisRun ${where} has not ended after ${formatDuration(spec.timeout)} (${analysis.status?.phase ?? 'not started by the Argo Rollouts controller'})` };
    }
    return { phase: 'Running', message: `AnalysisRun ${where} ${analysis.status?.phase ?? 'created'}`, recheckAfterMs: POLL_MS };
  };
}
