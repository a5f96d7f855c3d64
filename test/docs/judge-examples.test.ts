// docs/judge.md shows real inputs and the outputs the command gave for them: each input must still be valid and
// still get the documented verdict, phase, score and per-metric judgements, so the examples cannot rot. After
// a change to the judge that alters them, run each input through `rollouts-cv judge` and paste the new output.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../plugin/config/schema.js';
import { evaluateRequest, parseJudgeRequest, type JudgeOutput } from '../../plugin/offline/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(`${root}docs/judge.md`, 'utf8');
const blocks = [...doc.matchAll(/```(json|jsonl)\n([\s\S]*?)```/g)].map((match) => ({ lang: match[1]!, text: match[2]! }));

type Documented = Record<string, unknown>;

/** What must not change unnoticed: the decision and each metric's judgement (numbers and wording may move). */
function decision(output: JudgeOutput | Documented) {
  const { final, verdict, phase, score, metrics } = output as JudgeOutput;
  return { final, verdict, phase, score, metrics: metrics.map(({ name, classification, severity }) => ({ name, classification, severity })) };
}

/** The command's answer for one JSON Lines input line, as `--jsonl` writes it. */
function answer(line: string, lineNumber: number): Documented {
  try {
    return evaluateRequest(parseJudgeRequest(JSON.parse(line))) as unknown as Documented;
  } catch (error) {
    if (error instanceof ConfigError) return { error: `line ${lineNumber}: invalid input: ${error.issues.join('; ')}` };
    throw error;
  }
}

const singles: { input: unknown; output: Documented }[] = [];
const batches: { inputs: string[]; outputs: Documented[] }[] = [];
for (let i = 0; i < blocks.length; i++) {
  const block = blocks[i]!;
  const next = blocks[i + 1];
  if (block.lang === 'json') {
    const value = JSON.parse(block.text) as Documented;
    if ('config' in value) {
      expect(next?.lang, 'a documented input is followed by its output').toBe('json');
      singles.push({ input: value, output: JSON.parse(next!.text) as Documented });
      i++;
    }
  } else {
    expect(next?.lang, 'a JSON Lines input is followed by its output').toBe('jsonl');
    const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
    batches.push({ inputs: lines(block.text), outputs: lines(next!.text).map((line) => JSON.parse(line) as Documented) });
    i++;
  }
}

describe('docs/judge.md examples', () => {
  it('has the healthy, early-failure and no-data examples and a batch', () => {
    expect(singles.map(({ output }) => [output.verdict, output.final])).toEqual([
      ['Healthy', true],
      ['Unhealthy', true],
      ['NoData', true],
    ]);
    expect(batches).toHaveLength(1);
  });

  it.each(singles.map((single, index) => ({ ...single, index })))('example $index still gets its documented answer', ({ input, output }) => {
    expect(decision(evaluateRequest(parseJudgeRequest(input)))).toEqual(decision(output));
  });

  it.each(batches)('a batch still gets its documented answers, line by line', ({ inputs, outputs }) => {
    expect(outputs).toHaveLength(inputs.length);
    inputs.forEach((line, index) => {
      const expected = outputs[index]!;
      const actual = answer(line, index + 1);
      if ('error' in expected) expect(actual).toEqual(expected);
      else expect(decision(actual)).toEqual(decision(expected));
    });
  });

  it('shows outputs with exactly the documented fields', () => {
    for (const { output } of singles) {
      expect(Object.keys(output)).toEqual(['final', 'verdict', 'phase', 'score', 'metrics']);
      for (const metric of output.metrics as Documented[]) {
        expect(Object.keys(metric)).toEqual(['name', 'kind', 'classification', 'severity', 'canary', 'baseline', 'change', 'confidence', 'threshold', 'chance', 'reason']);
      }
    }
  });
});
