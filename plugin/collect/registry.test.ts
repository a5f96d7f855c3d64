import { describe, expect, it } from 'vitest';
import { SOURCE_KINDS, createHealthSource, sourceConfigSchema } from './registry.js';

describe('source registry', () => {
  it('lists the backends serving metrics', () => {
    expect(SOURCE_KINDS).toEqual(expect.arrayContaining(['prometheus', 'newrelic']));
  });

  it('parses one source kind into {kind, settings}', () => {
    expect(sourceConfigSchema.parse({ prometheus: { address: 'http://p:9090' } })).toEqual({
      kind: 'prometheus',
      settings: { address: 'http://p:9090', timeout: 10_000, step: 15_000, scrapeInterval: 30_000 },
    });
  });

  it('refuses no kind', () => {
    expect(sourceConfigSchema.safeParse({}).success).toBe(false);
  });

  it('builds the backend named by the config', () => {
    const source = createHealthSource({ kind: 'prometheus', settings: { address: 'http://p:9090', timeout: 1000, step: 15_000, scrapeInterval: 30_000 } });
    expect(source.description).toBe('Prometheus at http://p:9090');
  });
});
