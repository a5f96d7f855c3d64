// The Helm chart rendered by the pinned helm that scripts/helm.sh builds, for the tests of test/chart: the chart's
// documents for a value set, a copy of the chart that renders its NOTES.txt, and the describe block that fails in CI
// and is skipped elsewhere while helm is not built.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const chart = join(root, 'charts/rollouts-cv');
export const inCI = process.env.CI === 'true' || process.env.CI === '1';
/** The namespace every render installs into. */
export const NAMESPACE = 'rollouts-cv';

/** The pinned build, or nothing when it is not built yet. */
function helmBinary(): string | undefined {
  const result = spawnSync('bash', [join(root, 'scripts/helm.sh'), '--path'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const helm = helmBinary();

export type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
/** The top-level fields of the kinds the chart renders; `spec` is left to each test to read. */
export type K8s = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  automountServiceAccountToken?: boolean;
  rules?: PolicyRule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
};

export interface RenderOptions {
  /** Files of the chart's ci/ directory, as --values. */
  values?: readonly string[];
  set?: readonly string[];
  /** --set-json items: --set types numbers with a fraction as strings, and splits keys at their dots. */
  json?: readonly string[];
  /** Another copy of the chart to render; its values files are still read from the chart's own ci/. */
  chartDir?: string;
  /** Further flags of `helm template`. */
  args?: readonly string[];
}

export interface Rendered {
  status: number | null;
  stdout: string;
  stderr: string;
  docs: K8s[];
}

/** Runs the pinned helm; only inside describeChart, where it is built. */
export function helmRun(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm!, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template` of the chart as release rcv; the documents only when it succeeds. */
export function render(options: RenderOptions = {}): Rendered {
  const args = ['template', 'rcv', options.chartDir ?? chart, '--namespace', NAMESPACE, ...(options.args ?? [])];
  for (const file of options.values ?? []) args.push('--values', join(chart, 'ci', file));
  for (const item of options.set ?? []) args.push('--set', item);
  for (const item of options.json ?? []) args.push('--set-json', item);
  const result = helmRun(args);
  const docs = result.status === 0 ? parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8s).filter((doc) => doc !== null) : [];
  return { ...result, docs };
}

/** The documents of a render that must succeed. */
export function ok(options: RenderOptions = {}): K8s[] {
  const result = render(options);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.docs;
}

/**
 * A copy of the chart, removed after the enclosing describe, with `template` added and NOTES.txt as the file notes.txt:
 * `helm template` does not render NOTES.txt, but `template` can, with `tpl (.Files.Get "notes.txt") .`.
 */
export function chartCopy(template: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'rollouts-cv-chart-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(chart, copy, { recursive: true });
  writeFileSync(join(copy, 'notes.txt'), readFileSync(join(chart, 'templates/NOTES.txt'), 'utf8'));
  writeFileSync(join(copy, 'templates/zz-test.yaml'), template);
  return copy;
}

/** `describe(name, body)` once helm is built; before, a failing test in CI and a warned skip elsewhere. */
export function describeChart(name: string, body: () => void): void {
  if (helm) {
    describe(name, body);
  } else if (inCI) {
    describe(name, () => {
      it('has the pinned helm binary', () => {
        throw new Error('helm is not built: run `bash scripts/helm.sh` (scripts/setup.sh does) before the tests');
      });
    });
  } else {
    console.warn('test/chart: skipped, helm is not built yet — run `bash scripts/helm.sh` (or scripts/setup.sh) to build it');
    describe.skip(`${name} (helm not built: run bash scripts/helm.sh)`, () => {
      it('renders', () => undefined);
    });
  }
}
