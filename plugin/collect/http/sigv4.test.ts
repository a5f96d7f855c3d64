import { describe, expect, it } from 'vitest';
import { verifySigV4 } from '../../../test/fakes/prometheus/sigv4-verifier.js';
import { sigV4Headers } from './sigv4.js';

// AWS' Signature Version 4 test suite (aws-sig-v4-test-suite): its credentials, date and scope.
const SUITE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1', service: 'service' };
const SUITE_DATE = new Date('2015-08-30T12:36:00Z');

const amp = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'amp-secret-key-for-tests', sessionToken: 'FwoGZXIvYXdzEXAMPLE+session/token=', region: 'eu-west-1', service: 'aps' };
const queryForm = new URLSearchParams({ query: 'sum by (pod) (rate(http_requests_total{app="web"}[2m]))', start: '1767225615', end: '1767225900', step: '15' }).toString();
const ampUrl = new URL('https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234/api/v1/query_range');

/** The request as a server receives it, with the signed headers (and a header added after signing). */
function received(url: URL, body: string, headers: Record<string, string>) {
  return { method: 'POST', url: url.pathname + url.search, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'x-scope-orgid': 'not-signed' }, body };
}

describe('sigV4Headers', () => {
  it("signs AWS' post-x-www-form-urlencoded test vector to its published Authorization", async () => {
    const headers = await sigV4Headers({ url: new URL('https://example.amazonaws.com/'), body: 'Param1=value1', contentType: 'application/x-www-form-urlencoded' }, SUITE, SUITE_DATE);
    // post-x-www-form-urlencoded.authz
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    );
    expect(headers).toMatchObject({ host: 'example.amazonaws.com', 'content-type': 'application/x-www-form-urlencoded', 'x-amz-date': '20150830T123600Z' });
  });

  it("is verified by an independent implementation of AWS' algorithm, which also accepts the published vector", async () => {
    const vector = {
      method: 'POST',
      url: '/',
      headers: {
        host: 'example.amazonaws.com',
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
      },
      body: 'Param1=value1',
    };
    expect(verifySigV4(vector, [SUITE], 'us-east-1', 'service', SUITE_DATE.getTime())).toBeNull();

    const headers = await sigV4Headers({ url: ampUrl, body: queryForm, contentType: 'application/x-www-form-urlencoded' }, amp);
    expect(verifySigV4(received(ampUrl, queryForm, headers), [amp], 'eu-west-1', 'aps')).toBeNull();
  });

  it('signs the session token of temporary credentials, and only the headers that must arrive unchanged', async () => {
    const headers = await sigV4Headers({ url: ampUrl, body: queryForm, contentType: 'application/x-www-form-urlencoded' }, amp);
    expect(headers['x-amz-security-token']).toBe(amp.sessionToken);
    expect(headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,');
    expect(headers.authorization).toContain(`Credential=${amp.accessKeyId}/`);
    expect(headers.authorization).not.toContain(amp.secretAccessKey);
    expect(Object.keys(headers).sort()).toEqual(['authorization', 'content-type', 'host', 'x-amz-date', 'x-amz-security-token']);
  });

  it('keeps a non-default port in the signed Host, as Node sends it', async () => {
    const url = new URL('http://127.0.0.1:9443/workspaces/ws-1/api/v1/query_range');
    const headers = await sigV4Headers({ url, body: queryForm, contentType: 'application/x-www-form-urlencoded' }, amp);
    expect(headers.host).toBe('127.0.0.1:9443');
    expect(verifySigV4(received(url, queryForm, headers), [amp], 'eu-west-1', 'aps')).toBeNull();
  });

  it('gives a signature that fails for another body, path, region, key or time', async () => {
    const headers = await sigV4Headers({ url: ampUrl, body: queryForm, contentType: 'application/x-www-form-urlencoded' }, amp);
    const request = received(ampUrl, queryForm, headers);
    expect(verifySigV4({ ...request, body: `${queryForm}&nocache=1` }, [amp], 'eu-west-1', 'aps')?.type).toBe('InvalidSignatureException');
    expect(verifySigV4({ ...request, url: '/workspaces/ws-9999/api/v1/query_range' }, [amp], 'eu-west-1', 'aps')?.type).toBe('InvalidSignatureException');
    expect(verifySigV4(request, [amp], 'us-east-1', 'aps')?.message).toContain('Credential should be scoped');
    expect(verifySigV4(request, [{ ...amp, secretAccessKey: 'another' }], 'eu-west-1', 'aps')?.type).toBe('InvalidSignatureException');
    expect(verifySigV4(request, [amp], 'eu-west-1', 'aps', Date.now() + 6 * 60_000)?.message).toContain('Signature expired');
  });
});
