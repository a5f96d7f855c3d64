import { describe, expect, it } from 'vitest';
import { lineAndColumn, parseJson } from './json-error.js';

describe('parseJson', () => {
  it('parses valid JSON', () => {
    expect(parseJson('{"a": [1]}')).toEqual({ a: [1] });
  });

  it('names the line and column of the mistake', () => {
    expect(() => parseJson('{\n  "a": 1,\n  "b": }\n')).toThrow('invalid JSON at line 3, column 8: value expected');
    expect(() => parseJson('{\n  "a": [1,\n')).toThrow('invalid JSON at line 3, column 1: value expected');
    expect(() => parseJson('[1, 2,]')).toThrow('invalid JSON at line 1, column 7: value expected');
    expect(() => parseJson('{"a": 1} x')).toThrow('invalid JSON at line 1, column 10: invalid symbol');
    expect(() => parseJson('   ')).toThrow('invalid JSON at line 1, column 4: value expected');
  });

  it('numbers lines from the given first line', () => {
    expect(() => parseJson('{"a" 1}', 7)).toThrow('invalid JSON at line 7, column 6: colon expected');
  });
});

describe('lineAndColumn', () => {
  it('counts from 1 and restarts columns after a newline', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
