// The verifications `rollouts-cv check` looks at: every rollouts-cv config in a YAML or JSON file — metrics of
// AnalysisTemplates and ClusterAnalysisTemplates, `verify` gate steps of Rollouts, or a bare gate or verify
// config — with the template args filled in as Argo Rollouts fills them. Pure: text in, parsed settings out.
import { parseAllDocuments } from 'yaml';
import { ConfigError, formatPath, parseVerifySettings, type VerifySettings } from '../config/schema.js';
import { parseGateConfig } from '../gate/verify-gate.js';
import { isRecord } from '../../shared/kube/json.js';
import { argValues, fillArgs } from '../config/template-args.js';

export interface Verification {
  /** Where it was found, e.g. `AnalysisTemplate rollouts-cv-http, metric verify`. */
  name: string;
  /** Its settings; the groups are left out, since the check compares the pods it is given. */
  settings: VerifySettings;
  /** The config as written, args filled in and groups left out (what reports show). */
  written: Record<string, unknown>;
}

export interface Found {
  verifications: Verification[];
  /** Verifications that cannot be checked, each with why (an invalid config, an arg without a value). */
  problems: { name: string; error: string }[];
}

/** The config without its groups (the check's hashes replace them), args filled; throws on an arg without a value. */
function prepared(config: Record<string, unknown>, args: Record<string, string>): Record<string, unknown> {
  const { canary: _canary, baseline: _baseline, ...rest } = config;
  const { filled, missing: names } = fillArgs(rest, args);
  if (names.length) {
    throw new Error(`needs template arg${names.length > 1 ? 's' : ''} ${names.join(', ')}: give ${names.map((name) => `--arg ${name}=<value>`).join(' ')}`);
  }
  return filled;
}

/** A plugin entry holding a rollouts-cv config (any plugin name: Argo names it as the bridge was registered). */
const isVerifyConfig = (value: unknown): value is Record<string, unknown> => isRecord(value) && ('source' in value || 'metrics' in value);

/** The template's own arg values (`spec.args[].value`), overridden by those given. */
function templateArgs(spec: Record<string, unknown>, given: Record<string, string>): Record<string, string> {
  return { ...argValues(spec.args), ...given };
}

/** Every rollouts-cv verification in `text` (YAML or JSON, one or more documents). */
export function findVerifications(text: string, args: Record<string, string> = {}): Found {
  const found: Found = { verifications: [], problems: [] };
  const add = (name: string, config: Record<string, unknown>, values: Record<string, string>, parse: (written: Record<string, unknown>) => VerifySettings) => {
    try {
      const written = prepared(config, values);
      found.verifications.push({ name, settings: parse(written), written });
    } catch (error) {
      found.problems.push({ name, error: error instanceof ConfigError ? `invalid config: ${error.message}` : (error as Error).message });
    }
  };
  parseAllDocuments(text).forEach((document, index) => {
    if (document.errors.length) {
      found.problems.push({ name: `document ${index + 1}`, error: `not YAML or JSON: ${document.errors[0]!.message}` });
      return;
    }
    const doc: unknown = document.toJS();
    if (!isRecord(doc)) return;
    const spec = isRecord(doc.spec) ? doc.spec : {};
    const objectName = isRecord(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : `document ${index + 1}`;
    if (doc.kind === 'AnalysisTemplate' || doc.kind === 'ClusterAnalysisTemplate') {
      const values = templateArgs(spec, args);
      (Array.isArray(spec.metrics) ? spec.metrics : []).forEach((metric: unknown, i) => {
        const plugins = isRecord(metric) && isRecord(metric.provider) && isRecord(metric.provider.plugin) ? metric.provider.plugin : {};
        for (const [plugin, config] of Object.entries(plugins).filter(([, config]) => isVerifyConfig(config))) {
          const name = `${doc.kind} ${objectName}, metric ${isRecord(metric) && typeof metric.name === 'string' ? metric.name : i}`;
          add(name, config as Record<string, unknown>, values, (written) => parseVerifySettings(written, formatPath(`spec.metrics[${i}].provider.plugin`, [plugin])));
        }
      });
    } else if (doc.kind === 'Rollout') {
      const steps = isRecord(spec.strategy) && isRecord(spec.strategy.canary) && Array.isArray(spec.strategy.canary.steps) ? spec.strategy.canary.steps : [];
      steps.forEach((step: unknown, i) => {
        const config = isRecord(step) && isRecord(step.plugin) && isRecord(step.plugin.config) ? step.plugin.config.verify : undefined;
        if (isRecord(config)) add(`Rollout ${objectName}, step ${i} (verify gate)`, config, args, (written) => parseGateConfig(written).settings);
      });
    } else if (doc.kind === undefined && isRecord(doc.verify)) {
      add(`document ${index + 1} (verify gate config)`, doc.verify, args, (written) => parseGateConfig(written).settings);
    } else if (doc.kind === undefined && isVerifyConfig(doc)) {
      add(`document ${index + 1} (verify config)`, doc, args, (written) => parseVerifySettings(written));
    }
  });
  if (!found.verifications.length && !found.problems.length) {
    found.problems.push({ name: 'the file', error: 'holds no rollouts-cv verification (an AnalysisTemplate metric, a verify gate step or config)' });
  }
  return found;
}
