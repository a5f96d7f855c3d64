import { describe, expect, it } from 'vitest';
import { FeedbackInputError, type LogTemplateFeedback, commentProblem, feedbackName, feedbackTarget, marksOf, newFeedback, normaliseTemplate, rolloutProblem, templateProblem } from './feedback.js';

const TEMPLATE = 'ERROR payment <NUM> failed: card processor returned <STR>';

function stored(name: string, spec: Partial<LogTemplateFeedback['spec']>): LogTemplateFeedback {
  return { ...newFeedback(feedbackTarget('shop', 'web', TEMPLATE), { mark: 'not-a-risk', markedBy: 'U0ALICE001', markedAt: '2026-01-01T00:00:00.000Z' }), metadata: { name, namespace: 'shop' }, spec: { rollout: 'web', template: TEMPLATE, mark: 'not-a-risk', markedBy: 'U0ALICE001', markedAt: '2026-01-01T00:00:00.000Z', ...spec } } as LogTemplateFeedback;
}

describe('feedback targets', () => {
  it('names one object per template and service, within a DNS subdomain and the label value limit', () => {
    const target = feedbackTarget('shop', 'web', TEMPLATE);
    expect(target).toEqual({ namespace: 'shop', rollout: 'web', template: TEMPLATE, name: expect.stringMatching(/^web-[0-9a-f]{16}$/) });
    expect(feedbackTarget('staging', 'web', `  ${TEMPLATE.replaceAll(' ', ' \u00a0\u3000 ')} `)).toEqual({ ...target, namespace: 'staging' });
    expect(feedbackName('web', 'other template')).not.toBe(target.name);
    expect(feedbackName('api', TEMPLATE)).not.toBe(target.name);
    const longest = feedbackTarget('shop', `a${'-b.c'.repeat(15)}d`.slice(0, 63), TEMPLATE);
    expect(longest.name).toMatch(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/);
  });

  it('takes words separated by any whitespace as the miner does, and refuses what is not one line of a template', () => {
    expect(normaliseTemplate(' a  b\u3000c ')).toBe('a b c');
    expect(templateProblem('GET /api/orders/<NUM> 200 in <DUR> — ok ✓ 日本語 🚀')).toBeUndefined();
    expect(templateProblem('x'.repeat(500))).toBeUndefined();
    expect(templateProblem(`${'x'.repeat(500)}   `)).toBeUndefined();
    expect(templateProblem('x'.repeat(501))).toBe('template: expected at most 500 characters, got 501');
    expect(templateProblem('x'.repeat(10_000_000))).toBe('template: expected at most 500 characters, got 10000000');
    for (const bad of ['ERROR a\nINFO forged line', 'a\rb', 'tab\tseparated', 'a\u2028b', 'bell\u0007', 'del\u007f', 'rtl \u202e evil']) {
      expect(templateProblem(bad), JSON.stringify(bad)).toMatch(/^template: expected one line of text without control characters/);
    }
    expect(templateProblem('half \ud83d pair')).toMatch(/^template: expected well-formed Unicode text/);
    expect(templateProblem('   ')).toMatch(/^template: expected a log template .*, got a blank one$/);
    expect(templateProblem(42)).toMatch(/^template: expected a log template .* as text, got 42$/);
    expect(templateProblem(undefined)).toMatch(/got undefined$/);
  });

  it('refuses rollout names that are no Rollout name, or too long for the label that finds the marks', () => {
    for (const good of ['web', 'web-2', 'web.v2', 'a', 'a'.repeat(63)]) expect(rolloutProblem(good), good).toBeUndefined();
    for (const bad of ['', 'Web', 'web_2', '-web', 'web-', 'web,other', 'web=x', 'web x', 'web/../x', 'a'.repeat(64), 'wéb', '*', 7, undefined]) {
      expect(rolloutProblem(bad), String(bad)).toMatch(/^rollout: expected the name of a Rollout \(lowercase letters, digits, "-" and "\.", .* at most 63 characters\), got /);
    }
  });

  it('names every field that is wrong at once', () => {
    expect(() => feedbackTarget('shop', 'Web,x', 'a\nb')).toThrow(FeedbackInputError);
    expect(() => feedbackTarget('shop', 'Web,x', 'a\nb')).toThrow(/^rollout: .* got "Web,x"; template: expected one line/);
  });

  it('takes a comment of one line up to 500 characters', () => {
    expect(commentProblem(undefined)).toBeUndefined();
    expect(commentProblem('known noise from the nightly batch')).toBeUndefined();
    expect(commentProblem('x'.repeat(501))).toBe('comment: expected at most 500 characters, got 501');
    expect(commentProblem('line\nbreak')).toMatch(/^comment: expected one line/);
  });

  it('cuts a long user name to the bound of markedBy', () => {
    const feedback = newFeedback(feedbackTarget('shop', 'web', TEMPLATE), { mark: 'raise-risk', markedBy: `https://issuer.example/${'x'.repeat(300)}`, markedAt: 'now', comment: '' });
    expect(feedback.spec.markedBy).toHaveLength(253);
    expect(feedback.spec).not.toHaveProperty('comment');
    expect(feedback.metadata.labels).toEqual({ 'rollouts-cv.io/rollout': 'web' });
  });
});

describe('marksOf', () => {
  it('keeps the valid marks of the service by template, and says why it leaves out the others', () => {
    const { marks, ignored } = marksOf(
      [
        stored('web-1', {}),
        stored('web-2', { template: 'WARN slow query on <*>', mark: 'raise-risk' }),
        stored('other-1', { rollout: 'other', template: 'forged for another service' }),
        stored('web-3', { template: 'a\nb' }),
        stored('web-4', { template: 'spaced  out' }),
        stored('web-5', { mark: 'ignore' as never, template: 'x' }),
        { metadata: { name: 'web-6', namespace: 'shop' } } as LogTemplateFeedback,
      ],
      'web',
    );
    expect([...marks]).toEqual([
      [TEMPLATE, 'not-a-risk'],
      ['WARN slow query on <*>', 'raise-risk'],
    ]);
    expect(ignored).toEqual([
      'LogTemplateFeedback shop/other-1: spec.rollout is "other", not "web" as its rollouts-cv.io/rollout label says',
      expect.stringMatching(/^LogTemplateFeedback shop\/web-3: spec\.template: expected one line/),
      'LogTemplateFeedback shop/web-4: spec.template: not in the normal form marks are stored in (single spaces between words)',
      'LogTemplateFeedback shop/web-5: spec.mark: expected not-a-risk or raise-risk, got "ignore"',
      'LogTemplateFeedback shop/web-6: spec.rollout is undefined, not "web" as its rollouts-cv.io/rollout label says',
    ]);
  });

  it('leaves a template marked both ways a risk, whichever comes first', () => {
    const both = [stored('web-1', {}), stored('by-hand', { mark: 'raise-risk' })];
    expect(marksOf(both, 'web').marks.get(TEMPLATE)).toBe('raise-risk');
    expect(marksOf(both.reverse(), 'web').marks.get(TEMPLATE)).toBe('raise-risk');
  });
});
