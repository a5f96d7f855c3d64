import { describe, expect, it } from 'vitest';
import { runNrql, type FakeEvent } from '../../../test/fakes/newrelic/nrql.js';
import { attribute, attributeProblem, escapeNrqlString, keywordAt, podFilter, scanNrql, type PodFilter } from './nrql.js';

const byLabel = (podTemplateHash: string): PodFilter => ({ podTemplateHash, selectBy: 'label', hashAttribute: 'rollouts_pod_template_hash', instanceAttribute: 'k8s.podName' });
const byPodName = (podTemplateHash: string): PodFilter => ({ ...byLabel(podTemplateHash), selectBy: 'podName' });

describe('escapeNrqlString', () => {
  it.each([
    ['abc123', 'abc123'],
    ["a'b", "a\\'b"],
    ['a\\b', 'a\\\\b'],
    ["' OR true OR x = '", "\\' OR true OR x = \\'"],
    ['ü%_', 'ü%_'],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeNrqlString(value)).toBe(escaped);
  });

  it('refuses a control character, which has no documented escape', () => {
    expect(() => escapeNrqlString('a\nb')).toThrow('control character');
  });
});

describe('attribute', () => {
  it('backticks any name, dots and dashes included', () => {
    expect(attribute('k8s.podName')).toBe('`k8s.podName`');
    expect(attribute('Logged-in user')).toBe('`Logged-in user`');
  });

  it('refuses a name a backtick would end', () => {
    expect(attributeProblem('pod` FACET x')).toContain('without backticks');
    expect(() => attribute('')).toThrow('attribute name');
  });
});

describe('podFilter', () => {
  it('selects the hash attribute, or the pod names by RLIKE', () => {
    expect(podFilter([byLabel('abc123')])).toBe("`rollouts_pod_template_hash` = 'abc123'");
    expect(podFilter([byPodName('abc123')])).toBe("`k8s.podName` RLIKE '.+-abc123-[a-z0-9]+'");
  });

  it('selects several groups at once', () => {
    expect(podFilter([byLabel('a1'), byLabel('b2')])).toBe("`rollouts_pod_template_hash` IN ('a1', 'b2')");
    expect(podFilter([byPodName('a1'), byPodName('b2')])).toBe("`k8s.podName` RLIKE '.+-(?:a1|b2)-[a-z0-9]+'");
  });

  it('escapes regex metacharacters and then the string', () => {
    expect(podFilter([byPodName('a.b')])).toBe("`k8s.podName` RLIKE '.+-a\\\\.b-[a-z0-9]+'");
    expect(podFilter([byPodName("a'b")])).toBe("`k8s.podName` RLIKE '.+-a\\'b-[a-z0-9]+'");
  });
});

// The filters read by an independent NRQL tokenizer and evaluated (the fake's): each hostile hash selects exactly
// the events of its own pods, never a decoy's, by label and by pod name.
describe('filters evaluated as NRQL', () => {
  const hostile = ['abc123', "a'b", 'a\\b', '.*', '%', 'x|y', "' OR true OR x = '", '\\', "a\\'b", '(?:.*)', 'a$&b'];
  const events: FakeEvent[] = hostile.flatMap((hash, i) => [
    { eventType: 'Transaction', timestamp: 1000 + i, attributes: { rollouts_pod_template_hash: hash, 'k8s.podName': `web-${hash}-x${i}z` } },
  ]);
  events.push({ eventType: 'Transaction', timestamp: 999, attributes: { rollouts_pod_template_hash: 'decoy', 'k8s.podName': 'web-decoy-q1' } });

  it.each(hostile)('selects only the pods of %j', (hash) => {
    for (const group of [byLabel(hash), byPodName(hash)]) {
      const { results } = runNrql(`SELECT \`k8s.podName\` FROM Transaction WHERE ${podFilter([group])} SINCE 0 UNTIL 5000 LIMIT MAX`, events, 5000);
      expect(results).toEqual([{ 'k8s.podName': `web-${hash}-x${hostile.indexOf(hash)}z` }]);
    }
  });
});

describe('scanNrql', () => {
  it('blanks strings, raw strings and backticked names, keeping their delimiters', () => {
    const query = "SELECT count(*) FROM Log WHERE `a FACET` = 'it\\'s LIMIT' AND b RLIKE r'x\\' AND c = 'd'";
    const { code, problems } = scanNrql(query);
    expect(problems).toEqual([]);
    expect(code).toHaveLength(query.length);
    expect(code).toBe("SELECT count(*) FROM Log WHERE `       ` = '           ' AND b RLIKE r'  ' AND c = ' '");
  });

  it('refuses comments, which would hide what is added after them', () => {
    expect(scanNrql("a = 'b' -- x").problems).toEqual(['no comments (-- at character 9): a comment would hide what the engine adds after it']);
    expect(scanNrql('a = 1 // x').problems[0]).toContain('no comments (//');
    expect(scanNrql('a = 1 /* x */').problems[0]).toContain('no comments (/*');
    expect(scanNrql("a = '--' AND b = '//'").problems).toEqual([]);
  });

  it('refuses a raw string that hides a comment from an escaping reader', () => {
    // r'a\' ends at the second quote: what follows is a comment.
    expect(scanNrql("x RLIKE r'a\\' -- ' AND y = 1").problems[0]).toContain('no comments');
  });

  it('refuses unbalanced parentheses and unterminated literals', () => {
    expect(scanNrql("a = 1) OR (b = 2").problems).toEqual(['a ) at character 6 closes no (']);
    expect(scanNrql('(a = 1').problems).toEqual(['1 ( not closed with )']);
    expect(scanNrql("a = 'b").problems).toEqual(["a string starting at character 5 is not closed with '"]);
    expect(scanNrql('`a = 1').problems).toEqual(['a name starting at character 1 is not closed with `']);
  });
});

describe('keywordAt', () => {
  it('finds clause keywords as words, in any case, not inside names', () => {
    expect(keywordAt('select x from y', 'SELECT')).toBe(0);
    expect(keywordAt('SELECT sinceStart FROM y', 'SINCE')).toBe(-1);
    expect(keywordAt('SELECT a.limit FROM y', 'LIMIT')).toBe(-1);
    expect(keywordAt('x COMPARE   WITH 1 day ago', 'COMPARE WITH')).toBe(2);
  });
});
