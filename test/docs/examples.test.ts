// The examples users copy must be accepted by the engine: every rollouts-cv config in docs/examples and in the
// README's YAML blocks is validated with the same code the engine runs.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateGateConfig } from '../../plugin/gate/gate.js';
import { readMetricConfig } from '../../plugin/verify/metric.js';
import { parsePipelineSpec } from '../../shared/pipelines/spec.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ARGO_PLUGIN_NAME = /^([a-zA-Z0-9-]+)\/{1}([a-zA-Z0-9_.-]+)$/;

// What Argo Rollouts substitutes before calling the plugin.
function substituteArgs(text: string): string {
  return text.replaceAll('{{args.canary-hash}}', '6f9c8d7b5').replaceAll('{{args.stable-hash}}', '5d8b9c6f4');
}

type Doc = { kind?: string; spec?: any; data?: Record<string, string> };

function documents(text: string): Doc[] {
  // merge keys (<<) as kubectl reads them
  return parseAllDocuments(substituteArgs(text), { merge: true }).map((doc) => doc.toJS() as Doc);
}

function readmeYamlBlocks(): string[] {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

const sources = [
  // (release-repo/ is a release repository's layout, deployed by Argo CD in the e2e suite)
  ...readdirSync(`${root}docs/examples`).filter((file) => file.endsWith('.yaml')).map((file) => ({ name: `docs/examples/${file}`, docs: documents(readFileSync(`${root}docs/examples/${file}`, 'utf8')) })),
  ...readmeYamlBlocks().map((block, i) => ({ name: `README.md yaml block ${i + 1}`, docs: documents(block) })),
];

describe.each(sources)('$name', ({ docs }) => {
  it('parses as YAML into Kubernetes objects', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(doc.kind).toBeTruthy();
  });

  for (const doc of docs) {
    if (doc.kind === 'AnalysisTemplate') {
      it('has metric configs the engine accepts', () => {
        for (const metric of doc.spec.metrics) expect(() => readMetricConfig(metric)).not.toThrow();
      });
    }
    if (doc.kind === 'Rollout') {
      it('has gate steps the engine accepts, and analysis steps that pass the pod-template hashes', () => {
        const steps = doc.spec.strategy.canary.steps;
        const gates = steps.filter((step: any) => step.plugin?.name === 'rollouts-cv/gate');
        const analyses = steps.filter((step: any) => step.analysis);
        expect(gates.length + analyses.length).toBeGreaterThan(0);
        for (const step of gates) expect(() => validateGateConfig(step.plugin.config)).not.toThrow();
        // podTemplateHashValue is valid only here, in the Rollout's step, not in the AnalysisTemplate.
        for (const step of analyses) {
          const hashes = Object.fromEntries((step.analysis.args ?? []).map((arg: any) => [arg.name, arg.valueFrom?.podTemplateHashValue]));
          expect(hashes).toMatchObject({ 'canary-hash': 'Latest', 'stable-hash': 'Stable' });
        }
      });
    }
    if (doc.kind === 'Pipeline') {
      it('is a Pipeline the pipelines controller accepts', () => {
        expect(() => parsePipelineSpec(doc.spec)).not.toThrow();
      });
    }
    if (doc.kind === 'ConfigMap') {
      it('registers plugins under names Argo Rollouts accepts, with an engine address', () => {
        for (const key of ['metricProviderPlugins', 'stepPlugins']) {
          const entries = parseAllDocuments(doc.data![key]!)[0]!.toJS() as { name: string; location: string; args: string[] }[];
          for (const entry of entries) {
            expect(entry.name).toMatch(ARGO_PLUGIN_NAME);
            expect(entry.location).toMatch(/^(file|https):\/\//);
            expect(entry.args.some((arg) => arg.startsWith('--engine-address'))).toBe(true);
          }
        }
      });
    }
  }
});
