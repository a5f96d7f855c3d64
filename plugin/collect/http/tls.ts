// TLS trust for a credentials folder's `ca.crt`: a backend (or its OAuth2 token endpoint) with a certificate from
// a private CA. Each folder gets its own keep-alive agent trusting that CA besides Node's public roots (so a public
// identity provider still verifies), made once per folder and CA content: the file is read at every request, and
// a rotated CA gets a new agent while the old one's idle connections close by themselves.
import { createHash } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';

/** An idle connection is closed after this: the agent of a replaced CA leaves nothing open for long. */
const IDLE_MS = 30_000;

const agents = new Map<string, { fingerprint: string; agent: HttpsAgent }>();

/** The https agent of credentials folder `folder`, trusting the PEM certificates `ca` and the public roots. */
export function agentTrusting(folder: string, ca: string): HttpsAgent {
  const fingerprint = createHash('sha256').update(ca).digest('hex');
  const cached = agents.get(folder);
  if (cached?.fingerprint === fingerprint) return cached.agent;
  // One context for every connection of the agent: the roots are parsed once, not at each handshake.
  const secureContext = createSecureContext({ ca: [...rootCertificates, ca] });
  const agent = new HttpsAgent({ keepAlive: true, timeout: IDLE_MS, secureContext });
  agents.set(folder, { fingerprint, agent });
  return agent;
}
