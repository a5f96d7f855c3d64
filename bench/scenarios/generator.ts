// Seeded generator of labelled canary scenarios: canary and stable pods at equal load per pod, a 5-minute
// window of 30-second steps, five metrics of every kind, and the stable version's past periods.
import { CLASS_SPECS, scenarioLabels, type ClassSpec } from './classes.js';
import { drawHistory } from './history.js';
import { createRandom, deriveSeed, type Random } from './random.js';
import { canaryEffect, drawPod, NO_EFFECT, simulatePod, STEP_MODEL, type CanaryPlan, type Pod, type PodModel, type PodSeries, type SimulatedPod } from './simulate.js';
import type { AnySeries, GroupSeries, JudgeInput, MetricSpec, Noise, Scenario, ScenarioClass, ServiceProfile } from './types.js';
import { START_S, STEP_S, STEPS, WINDOW_S } from './window.js';

export const METRICS: readonly MetricSpec[] = [
  { name: 'errors', kind: 'ratio', direction: 'higher-is-bad' },
  { name: 'latency_p95_ms', kind: 'latency', direction: 'higher-is-bad' },
  { name: 'throughput_rps', kind: 'throughput', direction: 'lower-is-bad' },
  { name: 'cpu_cores', kind: 'resource', direction: 'higher-is-bad' },
  { name: 'goroutines', kind: 'gauge', direction: 'either' },
];

/** Each metric's series of a pod, in the judge input's form. */
const METRIC_SERIES: Readonly<Record<string, (s: PodSeries) => AnySeries>> = {
  errors: (s) => ({ numerator: s.errors, denominator: s.requests }),
  latency_p95_ms: (s) => s.latency,
  throughput_rps: (s) => s.throughput,
  cpu_cores: (s) => s.cpu,
  goroutines: (s) => s.goroutines,
};

function drawProfile(random: Random, lowTraffic: boolean): ServiceProfile {
  return {
    errorRate: random.logBetween(0.001, 0.02),
    latencyMs: random.logBetween(20, 500),
    rpsPerPod: lowTraffic ? random.logBetween(0.02, 0.2) : random.logBetween(5, 200),
    cpuCores: random.logBetween(0.1, 2),
    goroutines: random.logBetween(50, 500),
  };
}

/**
 * The service's levels during this window. They differ from the usual levels operators know (time of day,
 * load, dependencies) by a shared factor; the canary and baseline see the same day, a fixed threshold does not.
 */
function drawToday(random: Random, usual: ServiceProfile): ServiceProfile {
  return {
    errorRate: usual.errorRate * random.lognormalFactor(0.3),
    latencyMs: usual.latencyMs * random.lognormalFactor(0.15),
    rpsPerPod: usual.rpsPerPod * random.lognormalFactor(0.25),
    cpuCores: usual.cpuCores * random.lognormalFactor(0.1),
    goroutines: usual.goroutines * random.lognormalFactor(0.1),
  };
}

function drawNoise(random: Random): Noise {
  return {
    // Pods of one image on similar nodes: error rates 10–22% apart, latency and CPU a few percent.
    errorShape: random.between(20, 100),
    latencySigma: random.between(0.02, 0.06),
    trafficSigma: random.between(0.02, 0.06),
    cpuSigma: random.between(0.03, 0.08),
    goroutineSigma: 0.05,
    drift: {
      traffic: random.between(-0.2, 0.2),
      errors: random.between(-0.3, 0.3),
      latency: random.between(-0.1, 0.1),
      goroutines: random.between(-0.1, 0.1),
    },
    missingScrape: 0.01,
  };
}

/** Pod-to-pod spread twice as wide: latency and CPU sigmas doubled, the error multiplier's CV (1/√shape) too. */
function widened(noise: Noise): Noise {
  return { ...noise, latencySigma: 2 * noise.latencySigma, cpuSigma: 2 * noise.cpuSigma, errorShape: noise.errorShape / 4 };
}

function drawPods(random: Random, noise: Noise, { canary, stable }: { canary: number; stable: number }): Pod[] {
  return [
    ...Array.from({ length: canary }, (_, i) => drawPod(random, noise, `web-canary-${i}`, true)),
    ...Array.from({ length: stable }, (_, i) => drawPod(random, noise, `web-stable-${i}`, false)),
  ];
}

/** One pod on a bad node: its latency, errors and CPU move together. A baseline pod's node may instead be unusually good. */
function makeOutlier(random: Random, pods: Pod[], canary: boolean): void {
  const pod = random.pick(pods.filter((p) => p.canary === canary));
  const worse = canary || random.chance(0.5);
  pod.latency *= worse ? random.between(2, 4) : random.between(0.4, 0.6);
  pod.errors *= worse ? random.between(5, 10) : random.between(0.1, 0.3);
  pod.cpu *= worse ? random.between(1.5, 2.5) : random.between(0.5, 0.7);
}

/** A restart of one pod in 15% of scenarios, losing one or two steps of all its series. */
function maybeRestart(random: Random, pods: Pod[]): void {
  if (!random.chance(0.15)) return;
  const pod = random.pick(pods);
  const first = random.integer(1, STEPS);
  pod.lost = new Set([first, ...(random.chance(0.5) && first < STEPS ? [first + 1] : [])]);
}

function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Each metric's series of these pods, by pod name. */
function byMetric(pods: readonly SimulatedPod[]): Record<string, GroupSeries> {
  return Object.fromEntries(METRICS.map(({ name }) => [name, Object.fromEntries(pods.map((pod) => [pod.name, METRIC_SERIES[name]!(pod.series)]))]));
}

/** The judge input of a simulated window: every pod's series (the canary's left out for `no data`), and the history if drawn. */
function toInput(pods: readonly SimulatedPod[], canaryNames: ReadonlySet<string>, withCanary: boolean, history: SimulatedPod[][] | null): JudgeInput {
  const canary = byMetric(withCanary ? pods.filter((p) => canaryNames.has(p.name)) : []);
  const baseline = byMetric(pods.filter((p) => !canaryNames.has(p.name)));
  const periods = history?.map(byMetric);
  return {
    config: { sensitivity: 'high', duration: `${WINDOW_S / 60}m`, failOnNoData: true, metrics: METRICS.map((m) => ({ ...m })) },
    start: rfc3339(START_S),
    now: rfc3339(START_S + WINDOW_S),
    data: Object.fromEntries(METRICS.map(({ name }) => [name, { canary: canary[name]!, baseline: baseline[name]! }])),
    ...(periods ? { history: Object.fromEntries(METRICS.map(({ name }) => [name, periods.map((period) => period[name]!)])) } : {}),
  };
}

function canaryPlan(random: Random, design: ScenarioDesign): CanaryPlan {
  const regression = design.expected === 'flag';
  return {
    onsetS: regression ? (design.onsetS?.(random) ?? 0) : null,
    effect: { ...NO_EFFECT, ...design.effect },
    warmup: design.warmup ?? null,
  };
}

/**
 * What a scenario is built from: a class's spec, or one with its pods and some levels set (bench:guidance).
 * Levels in `levels` replace both the usual and today's drawn ones; the draws are still made, so that the rest of
 * the scenario is what the spec alone gives.
 */
export interface ScenarioDesign extends Omit<ClassSpec, 'share'> {
  levels?: Partial<ServiceProfile>;
}

/**
 * One scenario labelled `label`, built from `design`, a pure function of (seed, id, label, design). The history is
 * drawn last, so leaving it out (`history: false`, for judges that do not read it) changes nothing else.
 */
export function buildScenario(seed: number, id: number, label: ScenarioClass, design: ScenarioDesign, { history: withHistory = true } = {}): Scenario {
  const random = createRandom(deriveSeed(seed, id));
  const profile = { ...drawProfile(random, design.lowTraffic ?? false), ...design.levels };
  const today = { ...drawToday(random, profile), ...design.levels };
  // The service's usual spread between pods, as its history shows it.
  const usual = drawNoise(random);
  const noise = design.widerSpread ? widened(usual) : usual;
  const counts = design.pods(random);
  const pods = drawPods(random, noise, counts);
  if (design.outlier) makeOutlier(random, pods, design.outlier === 'canary');
  maybeRestart(random, pods);
  const plan = canaryPlan(random, design);
  const model: PodModel = { profile: today, noise, stepModel: STEP_MODEL };
  const timing = { startS: START_S, stepS: STEP_S, steps: STEPS };
  const window = pods.map((pod) => ({
    name: pod.name,
    series: simulatePod(random, pod, model, timing, (fromS, toS) => (pod.canary ? canaryEffect(plan, fromS, toS) : NO_EFFECT)),
  }));
  // Past days at the same levels; the drift belongs to this window.
  const pastModel = { ...model, noise: { ...usual, drift: { traffic: 0, errors: 0, latency: 0, goroutines: 0 } } };
  const history = design.noHistory || !withHistory ? null : drawHistory(random, pastModel, Math.max(2, counts.stable), START_S);
  const canaryNames = new Set(pods.filter((p) => p.canary).map((p) => p.name));
  return {
    id,
    label,
    healthy: design.expected !== 'flag',
    expected: design.expected,
    profile,
    input: toInput(window, canaryNames, !design.noCanaryData, history),
    truth: {
      today,
      noise,
      stepModel: STEP_MODEL,
      ...plan,
      pods: pods.map(({ lost: _, ...factors }) => factors),
    },
  };
}

/** One scenario of class `label`, a pure function of (seed, id, label). */
export function generateScenario(seed: number, id: number, label: ScenarioClass, options: { history?: boolean } = {}): Scenario {
  return buildScenario(seed, id, label, CLASS_SPECS[label], options);
}

export interface GeneratorOptions {
  seed: number;
  count: number;
  /** Draw the history (default true). */
  history?: boolean;
}

/**
 * `count` scenarios split across the classes by their shares, in class order, one at a time: a scenario with
 * its history is large, so the benchmark keeps only what it needs of each.
 */
export function* streamScenarios({ seed, count, history = true }: GeneratorOptions): Generator<Scenario> {
  const labels = scenarioLabels(count);
  for (let id = 0; id < labels.length; id++) yield generateScenario(seed, id, labels[id]!, { history });
}

export function generateScenarios(options: GeneratorOptions): Scenario[] {
  return [...streamScenarios(options)];
}
