// Seeded generator of labelled canary scenarios: one canary pod per nine baseline pods
// (10% of the traffic at equal load per pod), a 5-minute window of 30-second steps, five metrics of every kind.
import { createRandom, deriveSeed, type Random } from './random.js';
import { CLASSES, type Expected, type GroupSeries, type JudgeInput, type MetricSpec, type Point, type Scenario, type ScenarioClass, type ServiceProfile } from './types.js';

export const STEP_S = 30;
export const STEPS = 10;
export const WINDOW_S = STEP_S * STEPS;
/** Every scenario's window starts here (2026-01-01T00:00:00Z); scenarios are independent, so they can share it. */
export const START_S = 1_767_225_600;

export const METRICS: readonly MetricSpec[] = [
  { name: 'errors', kind: 'ratio', direction: 'higher-is-bad' },
  { name: 'latency_p95_ms', kind: 'latency', direction: 'higher-is-bad' },
  { name: 'throughput_rps', kind: 'throughput', direction: 'lower-is-bad' },
  { name: 'cpu_cores', kind: 'resource', direction: 'higher-is-bad' },
  { name: 'goroutines', kind: 'gauge', direction: 'either' },
];

/** Share of each class; healthy gets the most so the false-positive rate is measured finely. */
export const CLASS_SHARES: Readonly<Record<ScenarioClass, number>> = {
  healthy: 0.3,
  'outlier baseline pod': 0.08,
  'low traffic': 0.05,
  'no data': 0.03,
  'latency+10%': 0.06,
  'latency+25%': 0.06,
  'latency+50%': 0.06,
  'latency+100%': 0.06,
  'errors x1.5': 0.06,
  'errors x2': 0.06,
  'errors x5': 0.06,
  'throughput-30%': 0.06,
  'resource+50%': 0.06,
};

/** Multipliers applied to the canary once its regression has begun. */
interface Effect {
  latency: number;
  errors: number;
  traffic: number;
  cpu: number;
}

const NO_EFFECT: Effect = { latency: 1, errors: 1, traffic: 1, cpu: 1 };

const EFFECTS: Partial<Record<ScenarioClass, Partial<Effect>>> = {
  'latency+10%': { latency: 1.1 },
  'latency+25%': { latency: 1.25 },
  'latency+50%': { latency: 1.5 },
  'latency+100%': { latency: 2 },
  'errors x1.5': { errors: 1.5 },
  'errors x2': { errors: 2 },
  'errors x5': { errors: 5 },
  'throughput-30%': { traffic: 0.7 },
  'resource+50%': { cpu: 1.5 },
};

export function isRegression(label: ScenarioClass): boolean {
  return label in EFFECTS;
}

export function expectedAnswer(label: ScenarioClass): Expected {
  if (isRegression(label)) return 'flag';
  return label === 'low traffic' || label === 'no data' ? 'no-analysis' : 'pass';
}

/** Scenarios per class for a total of `count`, by largest remainder so they add up exactly. */
export function classCounts(count: number): Record<ScenarioClass, number> {
  const exact = CLASSES.map((label) => ({ label, share: CLASS_SHARES[label] * count }));
  const counts = Object.fromEntries(exact.map(({ label, share }) => [label, Math.floor(share)])) as Record<ScenarioClass, number>;
  let left = count - Object.values(counts).reduce((sum, n) => sum + n, 0);
  for (const { label } of [...exact].sort((a, b) => (b.share % 1) - (a.share % 1))) {
    if (left-- <= 0) break;
    counts[label] += 1;
  }
  return counts;
}

/** Per-pod departures from the service's usual levels: the same pod image still runs hotter or cooler. */
interface Pod {
  name: string;
  canary: boolean;
  traffic: number;
  errors: number;
  latency: number;
  cpu: number;
  goroutines: number;
  /** Steps (1-based) lost to a restart: the counters reset, so the step's increase is unknown. */
  lost: ReadonlySet<number>;
}

/** How noisy and how drifting this service is; drawn per scenario so no two look alike. */
interface Noise {
  /** Gamma shape of the per-pod error-rate multiplier (smaller = more over-dispersion). */
  errorShape: number;
  latencySigma: number;
  trafficSigma: number;
  cpuSigma: number;
  /** Change over the window shared by both groups, as a fraction: traffic, error rate, latency, goroutines. */
  drift: { traffic: number; errors: number; latency: number; goroutines: number };
  missingScrape: number;
}

function drawProfile(random: Random, lowTraffic: boolean): ServiceProfile {
  return {
    errorRate: random.logBetween(0.001, 0.02),
    latencyMs: random.logBetween(20, 500),
    // "Low traffic": a few requests per pod per step, too few to tell anything.
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
    drift: {
      traffic: random.between(-0.2, 0.2),
      errors: random.between(-0.3, 0.3),
      latency: random.between(-0.1, 0.1),
      goroutines: random.between(-0.1, 0.1),
    },
    missingScrape: 0.01,
  };
}

function drawPods(random: Random, noise: Noise, canaryPods: number): Pod[] {
  const names = [
    ...Array.from({ length: canaryPods }, (_, i) => ({ name: `web-canary-${i}`, canary: true })),
    ...Array.from({ length: 9 * canaryPods }, (_, i) => ({ name: `web-stable-${i}`, canary: false })),
  ];
  return names.map(({ name, canary }) => ({
    name,
    canary,
    traffic: random.lognormalFactor(noise.trafficSigma),
    errors: random.gammaFactor(noise.errorShape),
    latency: random.lognormalFactor(noise.latencySigma),
    cpu: random.lognormalFactor(noise.cpuSigma),
    goroutines: random.lognormalFactor(0.05),
    lost: new Set<number>(),
  }));
}

/** One baseline pod on a bad (or unusually good) node: its latency, errors and CPU move together. */
function makeOutlier(random: Random, pods: Pod[]): void {
  const baseline = pods.filter((pod) => !pod.canary);
  const pod = random.pick(baseline);
  const worse = random.chance(0.5);
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

interface PodSeries {
  errors: Point[];
  requests: Point[];
  latency: Point[];
  throughput: Point[];
  cpu: Point[];
  goroutines: Point[];
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function simulatePod(random: Random, pod: Pod, profile: ServiceProfile, noise: Noise, effect: Effect, onsetS: number | null): PodSeries {
  const series: PodSeries = { errors: [], requests: [], latency: [], throughput: [], cpu: [], goroutines: [] };
  for (let step = 1; step <= STEPS; step++) {
    const t = START_S + step * STEP_S;
    // Drift is evaluated mid-step, the same for both groups.
    const progress = (step - 0.5) / STEPS;
    const active = pod.canary && onsetS !== null && (step - 1) * STEP_S >= onsetS ? effect : NO_EFFECT;
    const rps = profile.rpsPerPod * pod.traffic * (1 + noise.drift.traffic * progress) * random.lognormalFactor(0.05) * active.traffic;
    const requests = random.poisson(rps * STEP_S);
    const errorRate = profile.errorRate * pod.errors * (1 + noise.drift.errors * progress) * random.gammaFactor(30) * active.errors;
    const errors = Math.min(requests, random.poisson(requests * errorRate));
    // A p95 over few requests is a poor estimate: its noise grows as the request count falls.
    const latency = profile.latencyMs * pod.latency * (1 + noise.drift.latency * progress) * random.lognormalFactor(0.03 + 0.6 / Math.sqrt(Math.max(requests, 1))) * active.latency;
    const cpu = profile.cpuCores * pod.cpu * (0.3 + (0.7 * rps) / profile.rpsPerPod) * random.lognormalFactor(0.05) * active.cpu;
    const goroutines = Math.round(profile.goroutines * pod.goroutines * (1 + noise.drift.goroutines * progress) * random.lognormalFactor(0.04));
    if (pod.lost.has(step)) continue;
    const scraped = () => !random.chance(noise.missingScrape);
    if (scraped()) {
      series.errors.push([t, errors]);
      series.requests.push([t, requests]);
    }
    // Without requests there is no latency to report.
    if (requests > 0 && scraped()) series.latency.push([t, round(latency, 3)]);
    if (scraped()) series.throughput.push([t, round(requests / STEP_S, 4)]);
    if (scraped()) series.cpu.push([t, round(cpu, 5)]);
    if (scraped()) series.goroutines.push([t, goroutines]);
  }
  return series;
}

function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** The judge input of a simulated window: every pod's series, the canary's left out for `no data`. */
function toInput(pods: readonly Pod[], series: readonly PodSeries[], withCanary: boolean): JudgeInput {
  const group = (canary: boolean, pick: (s: PodSeries) => GroupSeries[string]): GroupSeries =>
    Object.fromEntries(pods.flatMap((pod, i) => (pod.canary === canary && (withCanary || !canary) ? [[pod.name, pick(series[i]!)]] : [])));
  const metric = (pick: (s: PodSeries) => GroupSeries[string]) => ({ canary: group(true, pick), baseline: group(false, pick) });
  return {
    config: { sensitivity: 'high', duration: `${WINDOW_S / 60}m`, failOnNoData: true, metrics: METRICS.map((m) => ({ ...m })) },
    start: rfc3339(START_S),
    now: rfc3339(START_S + WINDOW_S),
    data: {
      errors: metric((s) => ({ numerator: s.errors, denominator: s.requests })),
      latency_p95_ms: metric((s) => s.latency),
      throughput_rps: metric((s) => s.throughput),
      cpu_cores: metric((s) => s.cpu),
      goroutines: metric((s) => s.goroutines),
    },
  };
}

/** One scenario of class `label`, a pure function of (seed, id, label). */
export function generateScenario(seed: number, id: number, label: ScenarioClass): Scenario {
  const random = createRandom(deriveSeed(seed, id));
  const profile = drawProfile(random, label === 'low traffic');
  const today = drawToday(random, profile);
  const noise = drawNoise(random);
  const pods = drawPods(random, noise, random.chance(0.25) ? 2 : 1);
  if (label === 'outlier baseline pod') makeOutlier(random, pods);
  maybeRestart(random, pods);
  const regression = isRegression(label);
  // Most regressions are there from the first step; one in five begins 60 to 150 s into the window.
  const onsetS = regression ? (random.chance(0.2) ? STEP_S * random.integer(2, 5) : 0) : null;
  const effect = { ...NO_EFFECT, ...EFFECTS[label] };
  const series = pods.map((pod) => simulatePod(random, pod, today, noise, effect, onsetS));
  return {
    id,
    label,
    healthy: !regression,
    expected: expectedAnswer(label),
    onsetS,
    profile,
    input: toInput(pods, series, label !== 'no data'),
  };
}

export interface GeneratorOptions {
  seed: number;
  count: number;
}

/** `count` scenarios split across the classes by CLASS_SHARES, in class order. */
export function generateScenarios({ seed, count }: GeneratorOptions): Scenario[] {
  const counts = classCounts(count);
  const labels = CLASSES.flatMap((label) => Array.from({ length: counts[label] }, () => label));
  return labels.map((label, id) => generateScenario(seed, id, label));
}
