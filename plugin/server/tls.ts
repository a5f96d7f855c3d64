import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';

/** PEM files for serving TLS; with a client CA, clients must present a certificate it signed (mTLS). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

export async function serverCredentials(tls: TlsFiles | undefined): Promise<grpc.ServerCredentials> {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  // Every unreadable file is named, in this order, whichever read fails first.
  const reads = await Promise.allSettled([
    readPem(tls.certFile, 'TLS certificate'),
    readPem(tls.keyFile, 'TLS private key'),
    tls.clientCaFile === undefined ? undefined : readPem(tls.clientCaFile, 'TLS client CA'),
  ]);
  const failures = reads.flatMap((read) => (read.status === 'rejected' ? [(read.reason as Error).message] : []));
  if (failures.length) throw new Error(failures.join('; '));
  const [cert, key, clientCa] = reads.map((read) => (read as PromiseFulfilledResult<Buffer | undefined>).value);
  return grpc.ServerCredentials.createSsl(clientCa ?? null, [{ cert_chain: cert!, private_key: key! }], clientCa !== undefined);
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${path}: ${(error as Error).message}`);
  }
}
