import { describe, expect, it } from 'vitest';
import { endpointOf, newRelicSettingsSchema } from './settings.js';

const messages = (input: unknown) => {
  const result = newRelicSettingsSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('source.newrelic', () => {
  it('defaults to the US region, a 10s timeout and 30s buckets', () => {
    const settings = newRelicSettingsSchema.parse({ accountId: 1234567, credentials: 'newrelic' });
    expect(settings).toEqual({ accountId: 1234567, region: 'us', credentials: 'newrelic', timeout: 10_000, step: 30_000 });
    expect(endpointOf(settings)).toBe('https://api.newrelic.com/graphql');
    expect(endpointOf({ ...settings, region: 'eu' })).toBe('https://api.eu.newrelic.com/graphql');
  });

  it('asks for a positive integer account id and a known region', () => {
    expect(messages({ accountId: '123', credentials: 'nr' })).toEqual(['accountId: expected the New Relic account id, a positive integer; got "123"']);
    expect(messages({ accountId: 0, credentials: 'nr' })).toEqual(['accountId: expected the New Relic account id, a positive integer; got 0']);
    expect(messages({ accountId: 1.5, credentials: 'nr' })).toEqual(['accountId: expected the New Relic account id, a positive integer; got 1.5']);
    expect(messages({ accountId: 2 ** 31, credentials: 'nr' })[0]).toContain('at most 2147483647');
    expect(messages({ accountId: 1, region: 'ap', credentials: 'nr' })).toEqual(['region: expected one of us, eu (the region of the account\'s data); got "ap"']);
  });

  it('needs a credentials folder by name, never a key', () => {
    expect(messages({ accountId: 1 })).toEqual(['credentials: is required (expected the name of a credentials folder holding a New Relic User key in api_key)']);
    expect(messages({ accountId: 1, credentials: 'NRAK-SECRET' })[0]).toContain('expected the name of a credentials folder (a Kubernetes name)');
  });

  it("bounds the timeout by NerdGraph's 5 to 120 seconds", () => {
    expect(messages({ accountId: 1, credentials: 'nr', timeout: '2s' })).toEqual(['timeout: expected at least 5s; got "2s"']);
    expect(messages({ accountId: 1, credentials: 'nr', timeout: '3m' })).toEqual(['timeout: expected at most 2m; got "3m"']);
  });

  it('takes another address only on this machine (a test double)', () => {
    expect(endpointOf(newRelicSettingsSchema.parse({ accountId: 1, credentials: 'nr', address: 'http://127.0.0.1:8080/graphql' }))).toBe('http://127.0.0.1:8080/graphql');
    expect(messages({ accountId: 1, credentials: 'nr', address: 'https://collector.evil.example/graphql' })[0]).toContain('expected a loopback address');
    expect(messages({ accountId: 1, credentials: 'nr', address: 'http://127.0.0.1/graphql?key=secret' })[0]).toContain('must not contain a query string');
    expect(messages({ accountId: 1, credentials: 'nr', address: 'http://127.0.0.1/graphql?key=secret' })[0]).not.toContain('secret');
  });
});
