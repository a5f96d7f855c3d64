import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, OutboundUrlError, outboundUrlProblem, shownUrl } from './outbound-url.js';

const RULE = { what: 'webhook URL', expected: 'expected https://host/path' };

describe('outboundUrlProblem', () => {
  it('accepts https, and http to a loopback address; a bare origin as written', () => {
    for (const ok of ['https://hooks.example/release', 'https://example.atlassian.net', 'http://127.0.0.1:8080/x', 'http://[::1]/x', 'http://localhost/x?a=1']) expect(outboundUrlProblem(ok, RULE), ok).toBeUndefined();
  });

  it('refuses clear text to another machine, credentials in the URL, and a URL not written plainly', () => {
    expect(outboundUrlProblem('http://hooks.example/x', RULE)).toBe('webhook URL "http://hooks.example/x": expected https://host/path (http:// only to a loopback address)');
    expect(outboundUrlProblem('ftp://hooks.example/x', RULE)).toMatch(/only to a loopback address/);
    expect(outboundUrlProblem('https://u:p@hooks.example/x', RULE)).toBe('webhook URL must not hold a password: give the token in the credentials Secret');
    for (const odd of ['https://hooks.example/a/../b', 'https://hooks.example\\x', 'https://bot@hooks.example/x', 'https://hooks.example/a%2f..', 'https://HOOKS.example/x', 'https://hooks.example?x=1']) {
      expect(outboundUrlProblem(odd, RULE), odd).toMatch(/is not written plainly/);
    }
    expect(outboundUrlProblem('not a url', RULE)).toBe('webhook URL "not a url" is not a URL; expected https://host/path');
    expect(() => checkOutboundUrl('http://hooks.example/x', RULE)).toThrow(OutboundUrlError);
  });
});

describe('shownUrl', () => {
  it('shows neither the query nor the fragment', () => {
    expect(shownUrl(new URL('https://hooks.example/services/T1?token=abc#x'))).toBe('https://hooks.example/services/T1');
    expect(shownUrl(new URL('https://example.atlassian.net/'))).toBe('https://example.atlassian.net');
  });
});
