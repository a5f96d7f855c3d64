import { describe, expect, it } from 'vitest';
import { references, render, TemplateError, type TemplateScope } from './template.js';

const scope: TemplateScope = {
  vars: { image: 'registry.example/loans-api:2.4.0', empty: '' },
  run: { name: 'loans-api-release-x7k2p', namespace: 'releases', triggeredBy: 'Slack user U012ABCDEF', url: 'https://slack.example/archives/C1/p2' },
  pipeline: { name: 'loans-api-release' },
  steps: { dev: { 'tracking-issue': { key: 'LOANS-42' } } },
};

describe('templates', () => {
  it('fill variables, run facts and earlier outputs', () => {
    expect(render('Deploy ${{ vars.image }} (${{run.name}}) for ${{ steps.dev.tracking-issue.outputs.key }} in ${{ pipeline.name }}', scope)).toBe(
      'Deploy registry.example/loans-api:2.4.0 (loans-api-release-x7k2p) for LOANS-42 in loans-api-release',
    );
    expect(render('no references', scope)).toBe('no references');
    expect(render('[${{ vars.empty }}]', scope)).toBe('[]');
  });

  it('list what a text refers to', () => {
    expect(references('${{ vars.image }} ${{ steps.dev.tracking-issue.outputs.key }}')).toEqual([
      { kind: 'vars', name: 'image' },
      { kind: 'steps', stage: 'dev', step: 'tracking-issue', output: 'key' },
    ]);
  });

  it('say what has no value, and refuse forms they do not know (no expressions, no environment)', () => {
    expect(() => render('${{ vars.tag }}', scope)).toThrow('"${{ vars.tag }}" has no value: the run sets no variable "tag"');
    expect(() => render('${{ steps.qa.sync.outputs.commit }}', scope)).toThrow('step qa/sync has not finished with an output "commit"');
    expect(() => render('${{ vars.constructor }}', scope)).toThrow(TemplateError);
    for (const bad of ['${{ env.SECRET }}', '${{ vars.a + vars.b }}', '${{ run.token }}', '${{ }}']) expect(() => references(bad)).toThrow(TemplateError);
  });

  it('refuse a "${{" left open, at once even when long (no backtracking blow-up)', () => {
    expect(() => render('Deploy ${{ vars.image', scope)).toThrow('"${{" is not closed');
    // The lazy pattern this replaced took tens of seconds on a tenth of this: past the test's time limit.
    const hostile = `\${{${' '.repeat(30_000)}`.repeat(3);
    expect(() => references(hostile)).toThrow(TemplateError);
  });
});
