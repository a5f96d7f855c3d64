import { describe, expect, it } from 'vitest';
import { apiAddressOf, DATADOG_SITES, datadogSettingsSchema } from './settings.js';

const messages = (input: unknown) => {
  const parsed = datadogSettingsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('source.datadog', () => {
  it('defaults to the US1 site, a 10s timeout and a 30s step', () => {
    const settings = datadogSettingsSchema.parse({ credentials: 'datadog' });
    expect(settings).toEqual({ credentials: 'datadog', timeout: 10_000, step: 30_000 });
    expect(apiAddressOf(settings)).toBe('https://api.datadoghq.com');
  });

  it.each(DATADOG_SITES)('sends queries to https://api.%s', (site) => {
    expect(apiAddressOf(datadogSettingsSchema.parse({ site, credentials: 'datadog' }))).toBe(`https://api.${site}`);
  });

  it('takes an address instead of a site, without a trailing slash', () => {
    expect(apiAddressOf(datadogSettingsSchema.parse({ address: 'http://127.0.0.1:8126/', credentials: 'datadog' }))).toBe('http://127.0.0.1:8126');
  });

  it('names what is wrong', () => {
    expect(messages({ site: 'app.datadoghq.com', credentials: 'datadog' })).toEqual([
      'site: expected one of datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ddog-gov.com (the site of the Datadog organization); got "app.datadoghq.com"',
    ]);
    expect(messages({})).toEqual(['credentials: is required (expected the name of a credentials folder holding api_key and app_key)']);
    expect(messages({ credentials: '../keys' })).toEqual(['credentials: expected the name of a credentials folder (a Kubernetes name); got "../keys"']);
    expect(messages({ site: 'datadoghq.eu', address: 'https://dd-proxy.internal', credentials: 'datadog' })).toEqual([
      "address: expected site or address, not both (the address replaces the site's https://api.<site>)",
    ]);
    expect(messages({ address: 'https://user:pw@dd.example', credentials: 'datadog' })[0]).toMatch(/^address: must not contain a user name or password/);
    expect(messages({ step: '5s', credentials: 'datadog' })).toEqual(['step: expected at least 10s; got "5s"']);
    expect(messages({ credentials: 'datadog', apiKey: 'x' })[0]).toMatch(/apiKey/);
  });
});
