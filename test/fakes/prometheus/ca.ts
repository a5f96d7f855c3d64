// A throwaway certificate authority for TLS tests, made with openssl: a CA and a server certificate it signs for
// 127.0.0.1 and localhost, as an operator's private CA would sign a backend's. Nothing of it outlives the test.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TestCa {
  /** The CA's certificate (PEM): what goes in a credentials folder's ca.crt. */
  ca: string;
  /** The server's key and certificate (PEM), for https.createServer. */
  key: string;
  cert: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await promisify(execFile)('openssl', args, { cwd });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl makes the test certificates: run `apt-get install -y openssl`');
    throw error;
  }
}

export async function makeTestCa(name = 'rollouts-cv test CA'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-ca-'));
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', `/CN=${name}`], dir);
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=prometheus'], dir);
    await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'server.ext', '-out', 'server.pem'], dir);
    const [ca, key, cert] = await Promise.all(['ca.pem', 'server.key', 'server.pem'].map((file) => readFile(join(dir, file), 'utf8')));
    return { ca: ca!, key: key!, cert: cert! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
