// A throwaway certificate authority for TLS tests, made with openssl: a CA and a server certificate it signs for
// 127.0.0.1 and localhost, as an operator's private CA would sign a backend's, and on request a client certificate
// for mutual TLS. Nothing of it outlives the test.
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
  /** A client's key and certificate (PEM), when asked for. */
  client?: { key: string; cert: string };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await promisify(execFile)('openssl', args, { cwd });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl makes the test certificates: run `apt-get install -y openssl`');
    throw error;
  }
}

export async function makeTestCa(name = 'rollouts-cv test CA', { client = false } = {}): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'rollouts-cv-ca-'));
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', `/CN=${name}`], dir);
    const issue = async (cn: string, extensions: string): Promise<{ key: string; cert: string }> => {
      await writeFile(join(dir, `${cn}.ext`), extensions);
      await openssl(['req', ...ec, '-keyout', `${cn}.key`, '-out', `${cn}.csr`, '-subj', `/CN=${cn}`], dir);
      await openssl(['x509', '-req', '-in', `${cn}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${cn}.ext`, '-out', `${cn}.pem`], dir);
      const [key, cert] = await Promise.all([`${cn}.key`, `${cn}.pem`].map((file) => readFile(join(dir, file), 'utf8')));
      return { key: key!, cert: cert! };
    };
    const server = await issue('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    const ca = await readFile(join(dir, 'ca.pem'), 'utf8');
    return { ca, ...server, ...(client && { client: await issue('client', 'extendedKeyUsage=clientAuth\n') }) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
