import { describe, expect, it } from 'vitest';
import { extraHeadersSchema, headerNameProblem, headersProblems, MAX_HEADERS, withPinnedHeaders } from './headers.js';

function issues(value: unknown): string[] {
  const result = extraHeadersSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('extraHeadersSchema', () => {
  it('accepts a tenant and other plain headers', () => {
    expect(issues({ 'X-Scope-OrgID': 'team-a|team-b', 'X-Request-Source': 'rollouts-cv' })).toEqual([]);
  });

  it('refuses the headers that carry credentials, whatever their case', () => {
    expect(issues({ authorization: 'Bearer stolen' })).toEqual(['authorization: header authorization cannot be set here: credentials go in a credentials folder (`credentials`)']);
    expect(issues({ 'Proxy-Authorization': 'x' })[0]).toContain('credentials go in a credentials folder');
    expect(issues({ COOKIE: 'session=x' })[0]).toContain('credentials go in a credentials folder');
  });

  it("refuses what the engine owns: where a request goes, its framing, hop-by-hop headers, SigV4's headers", () => {
    for (const name of ['Host', 'Content-Length', 'Content-Type', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'Upgrade', 'TE', 'Trailer', 'Expect', 'Accept-Encoding', 'X-Amz-Date', 'x-amz-security-token']) {
      expect(headerNameProblem(name), name).toMatch(/^header .* cannot be set here: /);
    }
  });

  it('refuses what is not a header: bad names, line breaks (header injection), empty or long values, too many', () => {
    expect(issues({ 'X Tenant': 'a' })[0]).toContain('is not a header name');
    expect(issues({ 'X-Tenant': 'a\r\nAuthorization: Bearer x' })).toEqual([
      'X-Tenant: the value of header X-Tenant must be printable ASCII, not empty, without leading or trailing white space or line breaks',
    ]);
    expect(issues({ 'X-Tenant': '' })[0]).toContain('not empty');
    expect(issues({ 'X-Tenant': 'ü' })[0]).toContain('printable ASCII');
    expect(issues({ 'X-Tenant': 'x'.repeat(1025) })[0]).toContain('longer than 1024 characters');
    expect(issues({ [`X-${'a'.repeat(100)}`]: 'a' })[0]).toContain('at most 100 characters');
    expect(issues(Object.fromEntries(Array.from({ length: MAX_HEADERS + 1 }, (_, i) => [`X-H${i}`, 'v'])))).toEqual([`: at most ${MAX_HEADERS} headers; got ${MAX_HEADERS + 1}`]);
    expect(issues({ 'X-Tenant': 42 })).toEqual(['X-Tenant: expected a string header value']);
    expect(issues(['X-Tenant'])[0]).toContain('expected an object of header names to values');
  });

  it('refuses a header set twice in different cases', () => {
    expect(headersProblems({ 'X-Scope-OrgID': 'a', 'x-scope-orgid': 'b' })).toEqual([
      { name: 'x-scope-orgid', message: 'header x-scope-orgid is set twice (also as X-Scope-OrgID); header names are case-insensitive' },
    ]);
  });

  it('never repeats a value in a message', () => {
    const secret = 's3cret-tenant-key\n';
    expect(JSON.stringify(issues({ 'X-Api-Key': secret, Authorization: secret }))).not.toContain('s3cret');
  });
});

describe('withPinnedHeaders', () => {
  it("lets a pinned header replace the config's of the same name, whatever its case", () => {
    expect(withPinnedHeaders({ 'x-scope-orgid': 'someone-else', 'X-Source': 'cv' }, { 'X-Scope-OrgID': 'team-a' })).toEqual({ 'X-Source': 'cv', 'X-Scope-OrgID': 'team-a' });
  });

  it('works without configured headers', () => {
    expect(withPinnedHeaders(undefined, { 'X-Scope-OrgID': 'team-a' })).toEqual({ 'X-Scope-OrgID': 'team-a' });
    expect(withPinnedHeaders({ 'X-Scope-OrgID': 'team-a' }, {})).toEqual({ 'X-Scope-OrgID': 'team-a' });
  });
});
