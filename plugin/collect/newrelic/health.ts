// New Relic's health check: the name of the configured account, `actor { account(id: $accountId) { name } }`, asked
// through the same NerdGraph request as NRQL queries (nerdgraph.ts: the credentials folder's User key, sent only
// where its `address` allows, the queue, the retries and the wording of refusals). It proves that the key is valid
// and that its user may read the account; NRQL on the account's data is checked by the first query.
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import type { HealthOptions } from '../backend.js';
import { oneLine } from '../log-http.js';
import { RequestQueue } from '../request-queue.js';
import { CollectError } from '../source.js';
import { createNerdGraph, type Fail } from './nerdgraph.js';
import type { NewRelicSettings } from './settings.js';

/** The account's name, the account as a variable like every document's values. */
export const ACCOUNT_DOCUMENT = 'query RolloutsCvAccount($accountId: Int!) { actor { account(id: $accountId) { name } } }';

const accountName = z.object({ actor: z.object({ account: z.object({ name: z.string() }) }) }).transform((data) => data.actor.account.name);
const MAX_SHOWN_CHARS = 100;

export async function newRelicHealth(settings: NewRelicSettings, options: HealthOptions): Promise<string> {
  const nerdgraph = createNerdGraph(settings, { ...options, queue: options.queue ?? new RequestQueue() });
  const fail: Fail = (cause, transient = false) => new CollectError('health', nerdgraph.description, cause, transient);
  const request = { document: ACCOUNT_DOCUMENT, variables: { accountId: settings.accountId }, data: accountName, asked: "the account's name" };
  const { value: name } = await nerdgraph.ask(request, fail, options);
  return `New Relic account ${settings.accountId} (${clip(oneLine(name), MAX_SHOWN_CHARS)}) reachable in region ${settings.region}`;
}
