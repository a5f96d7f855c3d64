import { describe, expect, it } from 'vitest';
import { clip } from './text.js';

describe('clip', () => {
  it('keeps text within the limit and cuts longer text to the limit, ending in …', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('ab…');
    expect(clip('x'.repeat(1500), 1000)).toHaveLength(1000);
  });
});
