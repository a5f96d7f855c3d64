// The verifications `rollouts-cv check` looks at: every rollouts-cv config in a YAML or JSON file — metrics of
// AnalysisTemplates and ClusterAnalysisTemplates, `verify` gate steps of Rollouts, or a bare gate or verify
// config — with the template args filled in as Argo Rollouts fills them. Pure: text in, parsed settings out.
import { parseAllDocuments } from 'yaml';
import { ConfigError, formatPath, parseVerifySettings, type VerifySettings } from '../config/schema.js';
import { parseGateConfig } from '../gate/verify-gate.js';
import { isRecord } from '../../shared/kube/json.js';

export interface Verification {
  /** Where it was found, e.g. `AnalysisTemplate rollouts-cv-http, metric verify`. */
  name: string;
  /** Its settings; the groups are left out, since the check compares the pods it is given. */
  settings: VerifySettings;
}

export interface Found {
  verifications: Verification[];
  /** Verifications that cannot be checked, each with why (an invalid config, an arg without a value). */
  problems: { name: string; error: string }[];
}

const ARG = /\{\{\s*args\.([^}\s]+)\s*\}\}/g;

/** `value` with every `{{args.<name>}}` in its strings replaced; throws naming an arg without a value. */
function withArgs(value: unknown, args: Record<string, string>, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(ARG, (tag, name: string) => {
      if (args[name] === undefined) missing.add(name);
      return args[name] ?? tag;
    });
  }
  if (Array.isArray(value)) return value.map((item) => withArgs(item, args, missing));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withArgs(item, args, missing)]));
  return value;
}

/** The config without its groups (the check's hashes replace them), args filled; throws on an arg without a value. */
function prepared(config: Record<string, unknown>, args: Record<string, string>): Record<string, unknown> {
  const { canary: _canary, baseline: _baseline, ...rest } = config;
  const missing = new Set<string>();
  const filled = withArgs(rest, args, missing) as Record<string, unknown>;
  if (missing.size) {
    const names = [...missing];
    throw new Error(`needs template arg${names.length > 1 ? 's' : ''} ${names.join(', ')}: give ${names.map((name) => `--arg ${name}=<value>`).join(' ')}`);
  }
  return filled;
}

/** A plugin entry holding a rollouts-cv config (any plugin name: Argo names it as the bridge was registered). */
const isVerifyConfig = (value: unknown): value is Record<string, unknown> => isRecord(value) && ('source' in value || 'metrics' in value);

/** The template's own arg values (`spec.args[].value`), overridden by those given. */
function templateArgs(spec: Record<string, unknown>, given: Record<string, string>): Record<string, string> {
  const declared = Array.isArray(spec.args) ? spec.args.filter(isRecord) : [];
  const defaults = declared.filter((arg) => typeof arg.name === 'string' && typeof arg.value === 'string').map((arg) => [arg.name as string, arg.value as string]);
  return { ...Object.fromEntries(defaults), ...given };
}

/** Every rollouts-cv verification in `text` (YAML or JSON, one or more documents). */
export function findVerifications(text: string, args: Record<string, string> = {}): Found {
  const found: Found = { verifications: [], problems: [] };
  const add = (name: string, parse: () => VerifySettings) => {
    try {
      found.verifications.push({ name, settings: parse() });
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
          add(name, () => parseVerifySettings(prepared(config as Record<string, unknown>, values), formatPath(`spec.metrics[${i}].provider.plugin`, [plugin])));
        }
      });
    } else if (doc.kind === 'Rollout') {
      const steps = isRecord(spec.strategy) && isRecord(spec.strategy.canary) && Array.isArray(spec.strategy.canary.steps) ? spec.strategy.canary.steps : [];
      steps.forEach((step: unknown, i) => {
        const config = isRecord(step) && isRecord(step.plugin) && isRecord(step.plugin.config) ? step.plugin.config.verify : undefined;
        if (isRecord(config)) add(`Rollout ${objectName}, step ${i} (verify gate)`, () => parseGateConfig(prepared(config, args)).settings);
      });
    } else if (doc.kind === undefined && isRecord(doc.verify)) {
      add(`document ${index + 1} (verify gate config)`, () => parseGateConfig(prepared(doc.verify as Record<string, unknown>, args)).settings);
    } else if (doc.kind === undefined && isVerifyConfig(doc)) {
      add(`document ${index + 1} (verify config)`, () => parseVerifySettings(prepared(doc, args)));
    }
  });
  if (!found.verifications.length && !found.problems.length) {
    found.problems.push({ name: 'the file', error: 'holds no rollouts-cv verification (an AnalysisTemplate metric, a verify gate step or config)' });
  }
  return found;
}
