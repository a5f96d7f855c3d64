import { describe, expect, it } from 'vitest';
import { maskLine } from '../../plugin/judge/logs/mask.js';
import { createRandom } from '../scenarios/random.js';
import { generateLines, generateService, MESSAGES, NOVEL_ERRORS, novelTemplate, SLOTS, weightedSampler } from './generate.js';

describe('the log generator', () => {
  it('is deterministic: the same seeds give the same service and lines', () => {
    const a = [...generateLines(generateService(7), 500, 11)];
    const b = [...generateLines(generateService(7), 500, 11)];
    expect(a).toEqual(b);
    expect([...generateLines(generateService(7), 500, 12)]).not.toEqual(a);
    expect(generateService(8).templates.map((t) => t.id)).not.toEqual(generateService(7).templates.map((t) => t.id));
  });

  it('makes 150 templates by default with Zipf weights summing to 1, rare ones included', () => {
    const { templates } = generateService(3);
    expect(templates).toHaveLength(150);
    expect(new Set(templates.map((t) => t.id)).size).toBe(150);
    expect(templates.reduce((sum, t) => sum + t.weight, 0)).toBeCloseTo(1, 12);
    expect(templates[0]!.weight).toBeGreaterThan(0.15);
    expect(templates.at(-1)!.weight).toBeLessThan(0.002);
    expect(new Set(templates.map((t) => t.message.level))).toEqual(new Set(['info', 'warn', 'error']));
  });

  it('labels each line with its template and fills every slot', () => {
    const service = generateService(5);
    for (const { line, truth, level } of generateLines(service, 2000, 1)) {
      const template = service.templates.find((t) => t.id === truth)!;
      expect(template.message.level).toBe(level);
      expect(line).toContain(`${template.logger}`);
      expect(line).not.toMatch(/\{\w+\}/);
    }
  });

  it('has variable parts masking cannot see, so exact masked lines split templates', () => {
    const unmasked = ['user', 'table', 'state', 'region', 'method'];
    const random = createRandom(1);
    for (const slot of unmasked) expect(maskLine(SLOTS[slot]!(random))).not.toMatch(/^<[A-Z]+>$/);
    expect(MESSAGES.filter((m) => unmasked.some((slot) => m.text.includes(`{${slot}}`))).length).toBeGreaterThan(10);
  });

  it('makes novel error templates apart from the service’s', () => {
    const novel = novelTemplate(2, 'orders', 0.01);
    expect(novel).toMatchObject({ id: 'novel/2', logger: 'orders', message: NOVEL_ERRORS[2] });
    expect(() => novelTemplate(NOVEL_ERRORS.length, 'orders', 0.01)).toThrow('novel error');
  });

  it('draws indexes in proportion to their weights', () => {
    const draw = weightedSampler([1, 3, 0, 6], createRandom(4));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[draw()]!++;
    expect(counts[2]).toBe(0);
    expect(counts[1]! / 20_000).toBeCloseTo(0.3, 1);
    expect(counts[3]! / 20_000).toBeCloseTo(0.6, 1);
  });
});
