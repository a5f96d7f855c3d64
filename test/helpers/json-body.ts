// A test server's reading of a JSON request body: undefined when empty, and the server's own error (a fake answers
// malformed JSON the way the service it stands for does) when it is not JSON.
import type { IncomingMessage } from 'node:http';

export async function readJsonBody(request: IncomingMessage, notJson: () => Error): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw notJson();
  }
}
