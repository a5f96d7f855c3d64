// AWS Signature Version 4 for a POST, as Amazon Managed Service for Prometheus (service `aps`) requires of every
// query: the signature covers the method, the path, the body's SHA-256, and the Host, Content-Type and
// X-Amz-Date (and, with temporary credentials, X-Amz-Security-Token) headers. Signed with AWS' own signer, for
// each request as it is sent: a signature is valid for minutes only, and a request may wait in the queue.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Authentication } from './credentials.js';

export type AwsKeys = Omit<Extract<Authentication, { kind: 'sigv4' }>, 'kind'>;

export interface SignedPost {
  url: URL;
  body: string;
  contentType: string;
}

/** The headers that authenticate POSTing `body` to `url`: Host, Content-Type, X-Amz-Date, maybe X-Amz-Security-Token, and Authorization. */
export async function sigV4Headers({ url, body, contentType }: SignedPost, keys: AwsKeys, signingDate = new Date()): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: keys.service,
    region: keys.region,
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey, ...(keys.sessionToken && { sessionToken: keys.sessionToken }) },
    sha256: Sha256,
    // The body's hash is part of the signature either way; the X-Amz-Content-Sha256 header is S3's.
    applyChecksum: false,
  });
  // Only the headers that must arrive unchanged are signed: a proxy may add or rewrite the others.
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': contentType },
      body,
    },
    { signingDate },
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
}
