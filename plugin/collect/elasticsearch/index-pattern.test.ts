import { describe, expect, it } from 'vitest';
import { indexPatternProblem } from './index-pattern.js';

describe('indexPatternProblem', () => {
  it('accepts names, wildcards, lists, exclusions, remote clusters and hidden backing indices', () => {
    for (const text of ['logs-*', 'logs-web-2026.01.01', 'logs-*,-logs-debug*', 'app-logs,audit', 'eu:logs-*', '*:logs-*', '.ds-logs-web-2026.01.01-000001', '*']) {
      expect(indexPatternProblem(text), text).toBeNull();
    }
  });

  it('refuses what no index name can be, naming the item and the rule', () => {
    expect(indexPatternProblem('Logs-*')).toContain('"Logs-*" has upper-case letters');
    expect(indexPatternProblem('logs-*,')).toContain('"" is empty');
    expect(indexPatternProblem('logs web')).toContain('contains " "');
    expect(indexPatternProblem('logs/../_security')).toContain('contains "/"');
    expect(indexPatternProblem('logs?')).toContain('contains "?"');
    expect(indexPatternProblem('<logs-{now/d}>')).toContain('contains "<"');
    expect(indexPatternProblem('logs#1')).toContain('contains "#"');
    expect(indexPatternProblem('logs\n*')).toContain('contains "\\n"');
    expect(indexPatternProblem('_all')).toContain('starts with -, _ or +');
    expect(indexPatternProblem('-logs')).toContain('starts with -, _ or +');
    expect(indexPatternProblem('logs,+x')).toContain('starts with -, _ or +');
    expect(indexPatternProblem('..')).toContain('is . or ..');
    expect(indexPatternProblem(`l${'é'.repeat(128)}`)).toContain('longer than 255 bytes');
    expect(indexPatternProblem('a:b:c')).toContain('contains ":"');
    expect(indexPatternProblem('e u:logs')).toContain('remote cluster alias');
  });

  it('refuses a list too long to be one a person wrote, without repeating it', () => {
    const problem = indexPatternProblem('logs-'.repeat(300));
    expect(problem).toContain('at most 1000 characters; got 1500');
    expect(problem!.length).toBeLessThan(300);
  });
});
