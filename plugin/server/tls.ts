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
  const [cert, key, clientCa] = await Promise.all([
    readPem(tls.certFile, 'TLS certificate'),
    readPem(tls.keyFile, 'TLS private key'),
    tls.clientCaFile === undefined ? undefined : readPem(tls.clientCaFile, 'TLS client CA'),
  ]);
  return grpc.ServerCredentials.createSsl(clientCa ?? null, [{ cert_chain: cert, private_key: key }], clientCa !== undefined);
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${path}: ${(error as Error).message}`);
  }
}
