import { describe, expect, it } from 'vitest';
import { poisson, seededRandom, type Random } from '../../../shared/random.js';
import { SENSITIVITIES, type Sensitivity } from '../types.js';
import { binomialUpperTail, holmAdjusted, judgeLogs, LOG_RULES, MAX_FINDINGS, MIN_LINES, type FeedbackMark, type LogJudgeInput, type LogLevel, type TemplateCounts } from './compare.js';

const template = (id: string, canary: number, baseline: number, level: LogLevel = 'info', more: Partial<TemplateCounts> = {}): TemplateCounts => ({
  id,
  template: `message ${id} <NUM>`,
  canary,
  baseline,
  level,
  samples: [`message ${id} 1`],
  ...more,
});

// A canary at 10 % of the traffic: a tenth of the baseline's lines.
const CANARY_LINES = 4_120;
const BASELINE_LINES = 41_200;

/** The templates, with the rest of each group's lines in one healthy info template. */
function logs(templates: TemplateCounts[], { canary = CANARY_LINES, baseline = BASELINE_LINES, sensitivity = 'medium' as Sensitivity, feedback = undefined as ReadonlyMap<string, FeedbackMark> | undefined } = {}): LogJudgeInput {
  const used = (group: 'canary' | 'baseline') => templates.reduce((sum, t) => sum + t[group], 0);
  const rest = template('bulk', canary - used('canary'), baseline - used('baseline'));
  return { templates: [...templates, rest], volumes: { canary, baseline }, sensitivity, ...(feedback ? { feedback } : {}) };
}

const finding = (input: LogJudgeInput, id: string) => judgeLogs(input).findings.find((f) => f.id === id);

describe('binomialUpperTail', () => {
  // Exact values: Σ_{j ≥ k} C(n, j) p^j (1 − p)^(n − j), summed with mpmath 1.3 at 40 digits.
  it.each([
    [14, 14, 1 / 11, 2.6333125430608001e-15],
    [5, 15, 0.25, 0.31351405847817659],
    [120, 430, 1 / 11, 3.3783959177062636e-29],
    [30, 130, 0.1, 1.069048260716008e-5],
    [40, 200, 1 / 11, 1.7507283128623029e-6],
    [995, 1000, 0.99, 0.066139511607251974],
    [3, 1003, 0.001, 0.08076198998342247],
  ])('P(X ≥ %d) for n = %d, p = %f is %f', (k, n, p, exact) => {
    expect(binomialUpperTail(k, n, p)).toBeCloseTo(exact, 15);
    expect(Math.abs(binomialUpperTail(k, n, p) / exact - 1)).toBeLessThan(1e-11);
  });

  // Huge counts: mpmath 1.3 at 30 digits, the first term from log-gamma and the rest by the terms' ratio until
  // they fall below 10⁻²² of the sum.
  it.each([
    [100_049_497, 200_000_000, 0.5, 1.2810710105183831e-12],
    [1_000_067_082, 2_000_000_000, 0.5, 0.0013500049243549276],
    [200_093_915, 2_000_000_000, 0.1, 1.284418985577126e-12],
    [2_009_895, 2_000_000_000, 0.001, 1.3326253633712832e-12],
  ])('keeps its relative precision in the tail of n = %d', (k, n, p, exact) => {
    expect(Math.abs(binomialUpperTail(k, n, p) / exact - 1)).toBeLessThan(1e-6);
  });

  it('stays accurate at the centre of a huge binomial', () => {
    // mpmath as above; stdlib's incomplete beta alone gives 0.4376 and 0.4677.
    expect(binomialUpperTail(1_000_000_000, 2_000_000_000, 0.5)).toBeCloseTo(0.5000089206205797, 4);
    expect(binomialUpperTail(200_000_000, 2_000_000_000, 0.1)).toBeCloseTo(0.5000109029810395, 4);
    expect(binomialUpperTail(100_000_000, 200_000_000, 0.5)).toBeCloseTo(0.5000282094791422, 4);
  });

  it('handles the edges', () => {
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialUpperTail(3, 10, 0)).toBe(0);
    expect(binomialUpperTail(3, 10, 1)).toBe(1);
    expect(binomialUpperTail(10, 10, 0.5)).toBeCloseTo(2 ** -10, 15);
  });

  it('is a valid p-value: under the null it is at most 5 % in at most 5 % of draws', () => {
    const random = seededRandom(7);
    let small = 0;
    const draws = 4000;
    for (let i = 0; i < draws; i++) {
      const n = 5 + Math.floor(random() * 200);
      let k = 0;
      for (let j = 0; j < n; j++) if (random() < 0.2) k++;
      if (binomialUpperTail(k, n, 0.2) <= 0.05) small++;
    }
    expect(small / draws).toBeLessThanOrEqual(0.05);
    expect(small / draws).toBeGreaterThan(0.02);
  });
});

describe('holmAdjusted', () => {
  it('multiplies the i-th smallest by m − i + 1, never decreasing, in the order given', () => {
    const adjusted = holmAdjusted([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((p, i) => expect(adjusted[i]).toBeCloseTo(p, 15));
    expect(holmAdjusted([0.5, 0.9])).toEqual([1, 1]);
    expect(holmAdjusted([])).toEqual([]);
  });
});

describe('judgeLogs: classes', () => {
  it('fails on a new error template, critically, naming it with its counts', () => {
    const payment = template('t1', 14, 0, 'error', { template: 'Payment <*> failed: <STR>' });
    const judgement = judgeLogs(logs([payment]));
    expect(judgement.classification).toBe('fail');
    expect(judgement.severity).toBe('critical');
    expect(judgement.reason).toBe('new error template in canary: "Payment <*> failed: <STR>" 14 lines (baseline 0 of 41,200 lines)');
    const f = judgement.findings[0]!;
    expect(f).toMatchObject({ id: 't1', class: 'unknown', level: 'error', canary: 14, baseline: 0, expected: 0, risk: true, samples: ['message t1 1'] });
    // π = 4,120 / 45,320 = 1/11: P(all 14 in the canary) = 11^-14.
    expect(f.pValue).toBeCloseTo(11 ** -14, 25);
    // Holm within the error family: this template alone.
    expect(f.adjustedPValue).toBe(f.pValue);
    expect(f.reason).toMatch(/^new: 14 lines in the canary, none in the baseline's 41,200 \(p = 2\.6e-15\)$/);
  });

  it('does not count a template the history has seen as new', () => {
    const seen = judgeLogs({ ...logs([template('t1', 14, 0, 'error', { history: 3 })]), volumes: { canary: CANARY_LINES, baseline: BASELINE_LINES, history: 90_000 } });
    expect(seen.findings[0]).toMatchObject({ id: 't1', class: 'unexpected-frequency', risk: true });
    expect(seen.reason).toMatch(/^error template more frequent in canary:/);
    // History read and 0: new.
    expect(finding(logs([template('t1', 14, 0, 'error', { history: 0 })]), 't1')!.class).toBe('unknown');
  });

  it('needs enough lines for a new template to be unlikely by chance', () => {
    // 2 of 2 lines in a canary with 1/11 of the lines: p = 0.008, not below 0.005 / 1.
    const judgement = judgeLogs(logs([template('t1', 2, 0, 'error')]));
    expect(judgement.classification).toBe('pass');
    expect(judgement.findings[0]).toMatchObject({ id: 't1', class: 'unknown', risk: false });
    // And at least 3 lines, however small the canary's share (p = 10⁻¹⁰ here).
    const tiny = { canary: 1_000, baseline: 100_000_000 };
    expect(finding(logs([template('t1', 2, 0, 'error')], tiny), 't1')!.risk).toBe(false);
    expect(finding(logs([template('t1', 3, 0, 'error')], tiny), 't1')!.risk).toBe(true);
  });

  it('weighs a new info template only at high sensitivity, marginal there', () => {
    const input = logs([template('t1', 40, 0, 'info')]);
    expect(judgeLogs(input).classification).toBe('pass');
    expect(finding(input, 't1')).toMatchObject({ class: 'unknown', risk: false });
    const high = judgeLogs({ ...input, sensitivity: 'high' });
    expect(high.classification).toBe('marginal');
    expect(high.severity).toBe('minor');
    expect(high.reason).toBe('new info template in canary: "message t1 <NUM>" 40 lines (baseline 0 of 41,200 lines)');
  });

  it('is marginal on a new warn template', () => {
    const judgement = judgeLogs(logs([template('t1', 25, 0, 'warn')]));
    expect(judgement.classification).toBe('marginal');
    expect(judgement.severity).toBe('minor');
  });

  it('fails on an error template the canary logs four times as often, naming the expected count', () => {
    const judgement = judgeLogs(logs([template('t1', 120, 310, 'error', { template: 'Timeout calling <*>' })]));
    expect(judgement.classification).toBe('fail');
    expect(judgement.reason).toBe('error template more frequent in canary: "Timeout calling <*>" 120 lines, 31 expected at the baseline\'s rate (baseline 310 of 41,200 lines)');
    const f = judgement.findings[0]!;
    expect(f).toMatchObject({ class: 'unexpected-frequency', expected: 31, risk: true });
    expect(f.pValue).toBeCloseTo(3.3783959177062636e-29, 40);
    // ×3.9: medium and high fail it, low (×3 from 0.001) too, so critical.
    expect(judgement.severity).toBe('critical');
  });

  it('fails moderately on a change only medium counts', () => {
    // 200 lines where 80 are expected: ×2.5, below low's ×3.
    const judgement = judgeLogs(logs([template('t1', 200, 800, 'error')]));
    expect(judgement.classification).toBe('fail');
    expect(judgement.severity).toBe('moderate');
    expect(judgeLogs({ ...logs([template('t1', 200, 800, 'error')]), sensitivity: 'low' }).classification).toBe('pass');
  });

  it('normalises by volume: a canary at 10 % of the traffic with 10 % of the count is known', () => {
    const input = logs([template('t1', 50, 500, 'error')]);
    expect(judgeLogs(input).classification).toBe('pass');
    expect(finding(input, 't1')).toMatchObject({ class: 'known', expected: 50, risk: false });
    expect(finding(input, 't1')!.pValue).toBeGreaterThan(0.4);
    // The same raw counts in both groups are ten times the canary's share.
    expect(finding(logs([template('t1', 50, 50, 'error')]), 't1')).toMatchObject({ class: 'unexpected-frequency', expected: 5, risk: true });
  });

  it('does not flag a trivial increase on huge volumes', () => {
    // +1 %: significant (z ≈ 7) but far below the least effect.
    const volumes = { canary: 1_000_000_000, baseline: 1_000_000_000 };
    const f = finding(logs([template('t1', 1_010_000, 1_000_000, 'error')], volumes), 't1')!;
    expect(f.pValue).toBeLessThan(1e-10);
    expect(f).toMatchObject({ class: 'known', risk: false });
  });

  it('does not weigh an info template that is more frequent, nor a warn one at low sensitivity', () => {
    const info = logs([template('t1', 300, 300, 'info')]);
    expect(finding(info, 't1')).toMatchObject({ class: 'unexpected-frequency', risk: false });
    expect(judgeLogs({ ...info, sensitivity: 'high' }).classification).toBe('pass');
    const warn = logs([template('t1', 300, 300, 'warn')], { sensitivity: 'low' });
    expect(finding(warn, 't1')).toMatchObject({ class: 'unexpected-frequency', risk: false });
    expect(judgeLogs({ ...warn, sensitivity: 'medium' }).classification).toBe('marginal');
  });

  it('passes a healthy canary and names its most unexpected template', () => {
    const judgement = judgeLogs(logs([template('t1', 12, 98, 'error'), template('t2', 3, 40, 'warn')]));
    expect(judgement.classification).toBe('pass');
    expect(judgement.severity).toBe('none');
    expect(judgement.reason).toBe('no risky log template in the canary (canary 4,120 lines, baseline 41,200); most unexpected: "message t1 <NUM>" 12 lines, 9.8 expected (baseline 98)');
  });
});

describe('judgeLogs: many templates', () => {
  /** `count` templates at their rate in both groups, with levels error, warn and info in turn, drawn from Poisson counts. */
  function healthy(random: Random, count: number, multiply: (i: number) => number = () => 1): TemplateCounts[] {
    return Array.from({ length: count }, (_, i) => {
      const rate = 10 ** (-4 + 2.5 * random()); // lines per line of volume: 0.0001 … 0.03
      return template(`t${i}`, poisson(random, rate * CANARY_LINES * multiply(i)), poisson(random, rate * BASELINE_LINES), (['error', 'warn', 'info'] as const)[i % 3]);
    });
  }

  function volumesOf(templates: TemplateCounts[]): LogJudgeInput['volumes'] {
    const sum = (group: 'canary' | 'baseline') => templates.reduce((total, t) => total + t[group], 0);
    return { canary: Math.max(sum('canary'), MIN_LINES), baseline: Math.max(sum('baseline'), MIN_LINES) };
  }

  it('does not flag 100 healthy templates at medium sensitivity', () => {
    let flagged = 0;
    let uncorrected = 0;
    const windows = 200;
    for (let seed = 0; seed < windows; seed++) {
      const templates = healthy(seededRandom(seed), 100);
      const judgement = judgeLogs({ templates, volumes: volumesOf(templates), sensitivity: 'medium' });
      if (judgement.classification !== 'pass') flagged++;
      if (judgement.findings.some((f) => f.pValue !== null && f.pValue <= LOG_RULES.medium.alpha)) uncorrected++;
    }
    // Holm keeps it within α = 0.5 % per level family (error and warn count here): about 2 of 200 windows at most.
    expect(flagged).toBeLessThanOrEqual(3);
    // Uncorrected, some template's p-value is below α in about a quarter of the windows.
    expect(uncorrected).toBeGreaterThan(20);
  });

  it('still finds a new error among 100 healthy templates', () => {
    const templates = [...healthy(seededRandom(1), 100), template('new', 12, 0, 'error')];
    const judgement = judgeLogs({ templates, volumes: volumesOf(templates), sensitivity: 'medium' });
    expect(judgement.classification).toBe('fail');
    expect(judgement.findings[0]!.id).toBe('new');
  });

  it('flags at high all that medium flags, and at medium all that low flags', () => {
    let lowFlags = 0;
    let highOnly = 0;
    for (let seed = 0; seed < 60; seed++) {
      const random = seededRandom(1000 + seed);
      // Some templates 1.5 to 5 times as frequent, a few new.
      const templates = healthy(random, 60, (i) => (i % 7 === 0 ? 1.5 + 3.5 * random() : 1));
      templates.push(template('new-error', Math.floor(random() * 6), 0, 'error'), template('new-info', Math.floor(random() * 80), 0, 'info'));
      const judged = Object.fromEntries(SENSITIVITIES.map((s) => [s, judgeLogs({ templates, volumes: volumesOf(templates), sensitivity: s })])) as Record<Sensitivity, ReturnType<typeof judgeLogs>>;
      const flags = (s: Sensitivity) => new Set(judged[s].findings.filter((f) => f.risk).map((f) => f.id));
      const rank = { pass: 0, inconclusive: 0, nodata: 0, marginal: 1, fail: 2 };
      for (const [lower, higher] of [['low', 'medium'], ['medium', 'high']] as const) {
        for (const id of flags(lower)) expect(flags(higher).has(id)).toBe(true);
        expect(rank[judged[higher].classification]).toBeGreaterThanOrEqual(rank[judged[lower].classification]);
      }
      lowFlags += flags('low').size;
      highOnly += flags('high').size - flags('low').size;
    }
    // The scenarios are not trivial: low flags some, high more.
    expect(lowFlags).toBeGreaterThan(0);
    expect(highOnly).toBeGreaterThan(0);
  });

  it('lists risky findings first, then by p-value, capped with the number left out', () => {
    const templates = Array.from({ length: 30 }, (_, i) => template(`k${i}`, 10 + i, 100 + 10 * i));
    templates.push(template('risky-warn', 30, 0, 'warn'), template('risky-error', 30, 0, 'error'));
    const judgement = judgeLogs(logs(templates));
    expect(judgement.findings).toHaveLength(MAX_FINDINGS);
    expect(judgement.more).toBe(31 + 2 - MAX_FINDINGS);
    expect(judgement.findings.slice(0, 2).map((f) => f.id)).toEqual(['risky-error', 'risky-warn']);
    expect(judgement.reason).toMatch(/^new error template in canary: .*; 1 more risky template$/);
    const rest = judgement.findings.slice(2).map((f) => f.pValue!);
    expect(rest).toEqual([...rest].sort((a, b) => a - b));
  });
});

describe('judgeLogs: feedback', () => {
  it('lists a template marked not a risk without failing on it', () => {
    const input = logs([template('t1', 14, 0, 'error')], { feedback: new Map([['t1', 'not-a-risk']]) });
    const judgement = judgeLogs(input);
    expect(judgement.classification).toBe('pass');
    expect(judgement.findings[0]).toMatchObject({ id: 't1', class: 'unknown', risk: false, feedback: 'not-a-risk' });
    expect(judgement.findings[0]!.reason).toMatch(/; marked not a risk$/);
  });

  it('makes any canary line of a template marked a risk risky', () => {
    const error = judgeLogs(logs([template('t1', 1, 10, 'error')], { feedback: new Map([['t1', 'raise-risk']]) }));
    expect(error.classification).toBe('fail');
    expect(error.severity).toBe('critical');
    expect(error.findings[0]).toMatchObject({ id: 't1', class: 'known', risk: true, feedback: 'raise-risk' });
    expect(error.reason).toBe('error template marked a risk in canary: "message t1 <NUM>" 1 line, 1 expected (baseline 10 of 41,200 lines)');
    const info = judgeLogs(logs([template('t1', 1, 10, 'info')], { feedback: new Map([['t1', 'raise-risk']]), sensitivity: 'low' }));
    expect(info.classification).toBe('marginal');
    // Not in the canary: nothing to raise.
    expect(judgeLogs(logs([template('t1', 0, 10, 'error')], { feedback: new Map([['t1', 'raise-risk']]) })).classification).toBe('pass');
  });
});

describe('judgeLogs: little or no data', () => {
  it('has no data when neither group logged a line', () => {
    const judgement = judgeLogs({ templates: [], volumes: { canary: 0, baseline: 0 }, sensitivity: 'medium' });
    expect(judgement).toEqual({ classification: 'nodata', severity: 'none', findings: [], more: 0, reason: 'no log lines from the canary or the baseline over the window' });
  });

  it('is inconclusive on a canary with too few lines, but can still fail', () => {
    const few = judgeLogs(logs([template('t1', 3, 30, 'error')], { canary: 50 }));
    expect(few.classification).toBe('inconclusive');
    expect(few.reason).toBe('too few log lines to judge: canary 50 lines, baseline 41,200 (at least 100 each needed)');
    expect(judgeLogs(logs([], { canary: 0 })).classification).toBe('inconclusive');
    expect(judgeLogs(logs([template('t1', 12, 0, 'error')], { canary: 50 })).classification).toBe('fail');
    // A warn-level risk in too little data is not enough to say marginal.
    expect(judgeLogs(logs([template('t1', 12, 0, 'warn')], { canary: 50 })).classification).toBe('inconclusive');
  });

  it('cannot pass nor test without a baseline', () => {
    const input = logs([template('t1', 40, 0, 'error')], { baseline: 0 });
    expect(judgeLogs(input).classification).toBe('inconclusive');
    expect(finding(input, 't1')).toMatchObject({ class: 'unknown', pValue: null, risk: false });
  });
});

describe('judgeLogs: hostile input', () => {
  const valid = () => logs([template('t1', 5, 50, 'error')]);
  const withTemplate = (changes: Record<string, unknown>) => {
    const input = valid();
    return { ...input, templates: [{ ...input.templates[0]!, ...changes }, input.templates[1]!] } as LogJudgeInput;
  };

  it.each([
    [{ canary: -1 }, 'templates[0].canary: expected a whole number of lines ≥ 0; got -1'],
    [{ canary: Number.NaN }, 'templates[0].canary: expected a whole number of lines ≥ 0; got NaN'],
    [{ baseline: Infinity }, 'templates[0].baseline: expected a whole number of lines ≥ 0; got Infinity'],
    [{ baseline: 2.5 }, 'templates[0].baseline: expected a whole number of lines ≥ 0; got 2.5'],
    [{ canary: '5' }, 'templates[0].canary: expected a whole number of lines ≥ 0; got "5"'],
    [{ history: -3 }, 'templates[0].history: expected a whole number of lines ≥ 0; got -3'],
    [{ level: 'debug' }, 'templates[0].level: expected one of error, warn, info; got "debug"'],
    [{ id: '' }, 'templates[0].id: expected a non-empty string; got ""'],
    [{ id: 'bulk' }, 'templates[1].id: "bulk" is also templates[0]\'s; template ids must be unique'],
    [{ samples: [1] }, 'templates[0].samples: expected a list of strings; got a list'],
    [{ template: null }, 'templates[0].template: expected a string; got null'],
  ])('rejects a template with %o', (changes, message) => {
    expect(() => judgeLogs(withTemplate(changes))).toThrow(new Error(message));
  });

  it('rejects invalid volumes, sensitivity, feedback and shapes, naming the field', () => {
    expect(() => judgeLogs({ ...valid(), volumes: { canary: Number.NaN, baseline: 10 } })).toThrow(/^volumes\.canary: expected a whole number of lines ≥ 0; got NaN$/);
    expect(() => judgeLogs({ ...valid(), volumes: { canary: 10, baseline: -5 } })).toThrow(/^volumes\.baseline: .*got -5$/);
    expect(() => judgeLogs({ ...valid(), sensitivity: 'extreme' as Sensitivity })).toThrow(/^sensitivity: expected one of high, medium, low; got "extreme"$/);
    expect(() => judgeLogs({ ...valid(), feedback: new Map([['t1', 'ignore' as FeedbackMark]]) })).toThrow(/^feedback\["t1"\]: expected not-a-risk or raise-risk; got "ignore"$/);
    expect(() => judgeLogs({ ...valid(), templates: {} as TemplateCounts[] })).toThrow(/^templates: expected a list/);
    expect(() => judgeLogs(null as unknown as LogJudgeInput)).toThrow(/^log judge input: expected an object/);
    expect(() => judgeLogs({ ...valid(), templates: [null as unknown as TemplateCounts] })).toThrow(/^templates\[0\]: expected an object/);
  });

  it('rejects counts that exceed their group’s volume', () => {
    const input = valid();
    expect(() => judgeLogs({ ...input, volumes: { canary: 100, baseline: BASELINE_LINES } })).toThrow(/^templates: their canary lines add up to 4,120, more than volumes\.canary \(100\)/);
    expect(() => judgeLogs({ ...input, templates: [template('t1', 5, 50, 'error', { history: 20 })], volumes: { ...input.volumes, history: 10 } })).toThrow(/^templates: their history lines add up to 20, more than volumes\.history \(10\)/);
  });

  it('gives sane answers on billions of lines', () => {
    const volumes = { canary: 2_000_000_000, baseline: 4_000_000_000 };
    const judgement = judgeLogs(logs([template('t1', 1_000_000_000, 2_000_000_000, 'error'), template('t2', 1_000, 0, 'error')], volumes));
    expect(judgement.classification).toBe('fail');
    expect(judgement.findings[0]!.id).toBe('t2');
    const known = judgement.findings.find((f) => f.id === 't1')!;
    expect(known).toMatchObject({ class: 'known', expected: 1_000_000_000, risk: false });
    expect(known.pValue).toBeGreaterThan(0.4);
    expect(known.pValue).toBeLessThan(0.6);
  });

  it('judges 100,000 templates in bounded time and output', () => {
    const random = seededRandom(3);
    const templates = Array.from({ length: 100_000 }, (_, i) => template(`t${i}`, Math.floor(random() * 20), Math.floor(random() * 200), i % 2 ? 'info' : 'warn'));
    const volumes = { canary: templates.reduce((s, t) => s + t.canary, 0), baseline: templates.reduce((s, t) => s + t.baseline, 0) };
    const started = performance.now();
    const judgement = judgeLogs({ templates, volumes, sensitivity: 'high' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(judgement.findings).toHaveLength(MAX_FINDINGS);
    expect(judgement.findings.length + judgement.more).toBe(templates.filter((t) => t.canary > 0).length);
  });

  it('keeps the reason to one clipped sentence whatever the template', () => {
    const long = template('t1', 14, 0, 'error', { template: `Payment ${'<*> '.repeat(500)}failed` });
    const judgement = judgeLogs(logs([long]));
    expect(judgement.reason.length).toBeLessThanOrEqual(200);
    expect(judgement.reason).toMatch(/…" 14 lines \(baseline 0 of 41,200 lines\)$/);
  });
});
