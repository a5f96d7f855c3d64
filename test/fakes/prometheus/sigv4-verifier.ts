// AWS Signature Version 4 verification, written from AWS' description of the algorithm with node:crypto alone and
// nothing of the signer under test, so that a signing bug fails the tests instead of being checked against itself:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
// 1. the canonical request: method, canonical URI (each path segment URI-encoded once more — every service but
//    S3), canonical query string (sorted, encoded), canonical headers (the signed ones, lower-cased, values trimmed
//    with inner runs of spaces made one, sorted), the signed header names, and the hex SHA-256 of the payload;
// 2. the string to sign: AWS4-HMAC-SHA256, X-Amz-Date, the credential scope <date>/<region>/<service>/aws4_request,
//    and the hex SHA-256 of the canonical request;
// 3. the signing key: HMAC-SHA256 chained over "AWS4"+secret, the date, the region, the service, "aws4_request";
// 4. the signature: hex HMAC-SHA256 of the string to sign with that key, compared with the request's.
// Plus what AWS checks around it: Host and X-Amz-Date signed, the date within 5 minutes of now, the scope's date,
// region and service those of the endpoint, a session token when the key is temporary.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface AwsKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials come with one; requests must then carry it as X-Amz-Security-Token. */
  sessionToken?: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query string as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Why AWS would refuse the request: its exception type and message, as AWS' REST services answer. */
export interface Refusal {
  type: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException';
  message: string;
}

const MAX_SKEW_MS = 5 * 60_000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as AWS wants it: unreserved characters kept, everything else %XX in upper case. */
function uriEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

export function canonicalRequest(request: SignedRequest, signedHeaders: string[]): string {
  const [path = '/', query = ''] = request.url.split('?', 2) as [string, string?];
  const canonicalUri = `/${path.split('/').filter(Boolean).map(uriEncode).join('/')}${path.length > 1 && path.endsWith('/') ? '/' : ''}`;
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=', 2).map((part) => uriEncode(decodeURIComponent(part ?? ''))) as [string, string?])
    .map(([key, value = '']) => `${key}=${value}`)
    .sort()
    .join('&');
  const canonicalHeaders = signedHeaders.map((name) => {
    const value = request.headers[name];
    const text = Array.isArray(value) ? value.join(',') : (value ?? '');
    return `${name}:${text.trim().replace(/ +/g, ' ')}\n`;
  });
  return [request.method, canonicalUri, canonicalQuery, canonicalHeaders.join(''), signedHeaders.join(';'), sha256(request.body)].join('\n');
}

/** Null when `request` is signed by one of `keys` for `region` and `service`; else why AWS would refuse it. */
export function verifySigV4(request: SignedRequest, keys: AwsKey[], region: string, service: string, now = Date.now()): Refusal | null {
  const authorization = request.headers.authorization;
  if (!authorization) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return { type: 'IncompleteSignatureException', message: 'Authorization header requires Credential, SignedHeaders and Signature parameters' };
  const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedList, signature] = match as unknown as string[];
  const key = keys.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (!key) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  const signedHeaders = signedList!.split(';');
  const sorted = [...signedHeaders].sort().join(';') === signedList;
  if (!sorted || !signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return { type: 'IncompleteSignatureException', message: 'SignedHeaders must be sorted and include host and x-amz-date' };
  }
  if (key.sessionToken && (request.headers['x-amz-security-token'] !== key.sessionToken || !signedHeaders.includes('x-amz-security-token'))) {
    return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const time = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!time) return { type: 'IncompleteSignatureException', message: 'X-Amz-Date must be in the form YYYYMMDDTHHMMSSZ' };
  const signedAt = Date.UTC(+time[1]!, +time[2]! - 1, +time[3]!, +time[4]!, +time[5]!, +time[6]!);
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) return { type: 'InvalidSignatureException', message: `Signature expired: ${amzDate} is now earlier or later than 5 minutes from now` };
  if (scopeDate !== amzDate.slice(0, 8) || scopeRegion !== region || scopeService !== service) {
    return { type: 'InvalidSignatureException', message: `Credential should be scoped to a valid region and service: ${region}/${service}` };
  }
  const canonical = canonicalRequest(request, signedHeaders);
  const scope = `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const signingKey = [scopeDate!, scopeRegion!, scopeService!, 'aws4_request'].reduce<Buffer | string>((k, part) => hmac(k, part), `AWS4${key.secretAccessKey}`);
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) {
    // AWS quotes the canonical request it computed, session token included: a client must not repeat this text.
    return {
      type: 'InvalidSignatureException',
      message: `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'${canonical}'`,
    };
  }
  return null;
}
