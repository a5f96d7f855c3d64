import { describe, expect, it } from 'vitest';
import { DEFAULT_MINER_OPTIONS, MAX_TOKENS, OVERFLOW_ID, OVERFLOW_TEMPLATE, TemplateMiner, tokenize } from './drain.js';

describe('TemplateMiner', () => {
  it('groups lines of one message and masks their variable parts', () => {
    const miner = new TemplateMiner();
    const a = miner.add('2025-03-04T10:11:12Z INFO [orders] order 550e8400-e29b-41d4-a716-446655440000 paid in 12ms');
    const b = miner.add('2025-03-04T10:11:13Z INFO [orders] order 6ba7b810-9dad-11d1-80b4-00c04fd430c8 paid in 250ms');
    expect(b.id).toBe(a.id);
    expect(b.template).toBe('<TS> INFO [orders] order <UUID> paid in <DUR>');
    expect(b.masked).toBe('<TS> INFO [orders] order <UUID> paid in <DUR>');
    expect(miner.templates()).toEqual([{ id: a.id, template: b.template, count: 2 }]);
  });

  it('keeps different messages apart, also when they share a header', () => {
    const miner = new TemplateMiner();
    const lines = [
      'ts=2025-03-04T10:11:12Z level=info logger=db msg="query on orders returned 3 rows in 12ms"',
      'ts=2025-03-04T10:11:12Z level=info logger=db msg="connected to db-1.shop.svc:5432 after 3ms"',
      'ts=2025-03-04T10:11:12Z level=info logger=db msg="inserted 4 rows into payments now"',
      'ts=2025-03-04T10:11:12Z level=error logger=db msg="query on orders failed: deadlock detected"',
      'ts=2025-03-04T10:11:12Z level=info logger=auth msg="query on orders returned 3 rows in 12ms"',
    ];
    const ids = lines.map((line) => miner.add(line).id);
    expect(new Set(ids).size).toBe(lines.length);
  });

  it('turns the positions where lines differ into <*>, and groups variable words', () => {
    const miner = new TemplateMiner();
    for (const user of ['alice', 'bob', 'carol']) miner.add(`INFO [auth] user ${user} logged in from 10.0.0.${user.length}`);
    expect(miner.templates()).toEqual([{ id: 't1', template: 'INFO [auth] user <*> logged in from <IP>', count: 3 }]);
  });

  it('keeps ids for a cluster’s life, in order of creation', () => {
    const miner = new TemplateMiner();
    const first = miner.add('INFO [cache] cache hit for orders key 1 now');
    const second = miner.add('WARN [db] slow query on orders took 3s');
    expect([first.id, second.id]).toEqual(['t1', 't2']);
    const later = miner.add('INFO [cache] cache hit for customers key 2 now');
    expect(later.id).toBe('t1');
    expect(later.template).toBe('INFO [cache] cache hit for <*> key <NUM> now');
    expect(miner.template('t1')).toBe(later.template);
    expect(miner.template('t2')).toBe('WARN [db] slow query on orders took <DUR>');
  });

  it('match() finds the cluster without learning', () => {
    const miner = new TemplateMiner();
    miner.add('INFO [auth] user alice logged in from 10.0.0.1');
    miner.add('INFO [auth] user bob logged in from 10.0.0.2');
    const before = miner.templates();
    expect(miner.match('INFO [auth] user carol logged in from 10.9.9.9')).toEqual({
      id: 't1',
      template: 'INFO [auth] user <*> logged in from <IP>',
      masked: 'INFO [auth] user carol logged in from <IP>',
    });
    // Similar enough for add(), but a word the template holds differs: no match, and nothing learnt.
    expect(miner.match('INFO [auth] user carol logged out from 10.9.9.9')).toBeNull();
    expect(miner.match('ERROR [db] something else entirely')).toBeNull();
    expect(miner.templates()).toEqual(before);
  });

  it('match() finds a cluster outside the leaf the line leads to', () => {
    const miner = new TemplateMiner({ maxChildren: 2 });
    expect(miner.add('alpha one two three four').id).toBe('t1');
    // The node below the word count is full: new leading words share the <*> branch.
    expect(miner.add('beta one two three five').id).toBe('t2');
    expect(miner.add('gamma one two three five')).toMatchObject({ id: 't2', template: '<*> one two three five' });
    // Led to alpha's leaf, where t1 does not fit; t2, down <*>, does.
    expect(miner.match('alpha one two three five')?.id).toBe('t2');
    expect(miner.match('alpha one two three four')?.id).toBe('t1');
  });

  it('clusters empty and whitespace-only lines together, and splits on any whitespace', () => {
    const miner = new TemplateMiner();
    expect(miner.add('').id).toBe(miner.add('  \t ').id);
    expect(miner.add('a  b\tc').template).toBe('a b c');
    expect(tokenize(' a  b ')).toEqual(['a', 'b']);
    expect(tokenize('')).toEqual([]);
  });

  it('clusters a line of many words on its first MAX_TOKENS, the rest as one word', () => {
    const words = Array.from({ length: MAX_TOKENS + 20 }, (_, i) => `w${i}`);
    const tokens = tokenize(words.join(' '));
    expect(tokens).toHaveLength(MAX_TOKENS);
    expect(tokens[MAX_TOKENS - 1]).toBe(words.slice(MAX_TOKENS - 1).join(' '));
    const miner = new TemplateMiner();
    const a = miner.add(`start ${'x '.repeat(5000)}`);
    const b = miner.add(`start ${'x '.repeat(5000)} more`);
    expect(b.id).toBe(a.id);
  });

  it('sends lines of new templates to the overflow cluster beyond maxTemplates, still matching known ones', () => {
    const miner = new TemplateMiner({ maxTemplates: 2 });
    expect(miner.add('INFO [a] first kind of message here').id).toBe('t1');
    expect(miner.add('WARN [b] second kind of message there').id).toBe('t2');
    const overflow = miner.add('ERROR [c] a third kind appears');
    expect(overflow).toEqual({ id: OVERFLOW_ID, template: OVERFLOW_TEMPLATE, masked: 'ERROR [c] a third kind appears' });
    miner.add('ERROR [d] and a fourth kind too');
    expect(miner.add('INFO [a] first kind of message again').id).toBe('t1');
    expect(miner.templates().map(({ id, count }) => [id, count])).toEqual([
      ['t1', 2],
      ['t2', 1],
      [OVERFLOW_ID, 2],
    ]);
    expect(miner.template(OVERFLOW_ID)).toBe(OVERFLOW_TEMPLATE);
    expect(miner.match('ERROR [c] a third kind appears')).toBeNull();
  });

  it('bounds its memory: a flood of distinct lines makes at most maxTemplates clusters and a bounded tree', () => {
    const miner = new TemplateMiner({ maxTemplates: 50, maxChildren: 10 });
    for (let i = 0; i < 5000; i++) miner.add(`word${String.fromCharCode(97 + (i % 26))}${i.toString(36)}x other${i % 7} unique${(i * 7919).toString(36)}z`);
    const templates = miner.templates();
    expect(templates).toHaveLength(51);
    expect(templates.reduce((sum, t) => sum + t.count, 0)).toBe(5000);
  });

  it('rejects invalid options and unknown ids, naming them', () => {
    expect(() => new TemplateMiner({ depth: 2 })).toThrow('depth: expected a whole number of at least 3; got 2');
    expect(() => new TemplateMiner({ similarity: 0 })).toThrow('similarity: expected a number above 0 and at most 1; got 0');
    expect(() => new TemplateMiner({ similarity: Number.NaN })).toThrow('similarity');
    expect(() => new TemplateMiner({ maxChildren: 1.5 })).toThrow('maxChildren');
    expect(() => new TemplateMiner({ maxTemplates: 0 })).toThrow('maxTemplates');
    expect(() => new TemplateMiner().template('t1')).toThrow('unknown template id "t1"');
    expect(() => new TemplateMiner().template('t01')).toThrow('unknown template id');
    expect(new TemplateMiner().options).toEqual(DEFAULT_MINER_OPTIONS);
  });

  it('similarity decides between joining and a new cluster', () => {
    // Two of four compared words agree: 0.5.
    const lines = ['INFO [x] alpha beta gamma delta', 'INFO [x] alpha beta other words'];
    const strict = new TemplateMiner({ similarity: 0.6 });
    const loose = new TemplateMiner({ similarity: 0.5 });
    expect(new Set(lines.map((line) => strict.add(line).id)).size).toBe(2);
    expect(new Set(lines.map((line) => loose.add(line).id)).size).toBe(1);
  });
});
