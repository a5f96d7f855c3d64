// Elasticsearch's and OpenSearch's health check: `GET /`, the cluster's info (product, version, cluster name), made
// as every request to the cluster is (cluster-request.ts: the credentials folder, its CA, the queue, the retries and
// the refusals naming the folder). Elasticsearch's client refuses a server that is not Elasticsearch (no
// X-Elastic-Product header) with the advice a search gives; an OpenSearch source must hear distribution
// "opensearch". GET / needs a cluster privilege that reading logs does not (Elasticsearch's `monitor`, OpenSearch's
// `cluster:monitor/main`): a user the cluster itself denies it has been authenticated, and is reported so, without
// a version.
import { z } from 'zod';
import { clip } from '../../../shared/text.js';
import type { HealthOptions } from '../backend.js';
import { oneLine } from '../log-http.js';
import type { Fail } from '../queued-request.js';
import { RequestQueue } from '../request-queue.js';
import { CollectError } from '../source.js';
import { connectCluster, TITLES } from './cluster-request.js';
import { clusterReason } from './response.js';
import type { SearchSettings } from './settings.js';
import type { ClusterReply, Product } from './transport.js';

// https://www.elastic.co/guide/en/elasticsearch/reference/current/rest-api-root.html; OpenSearch adds version.distribution.
const rootInfo = z.object({ cluster_name: z.string(), version: z.object({ number: z.string().min(1), distribution: z.string().optional() }) });
const MAX_SHOWN_CHARS = 100;
const INFO_PRIVILEGE: Record<Product, string> = { elasticsearch: 'the cluster privilege monitor', opensearch: 'the permission cluster:monitor/main' };

/** A 403 in the cluster's own words: the credentials were taken, GET / is not theirs to read. */
const deniedByCluster = (reply: ClusterReply) => reply.status === 403 && clusterReason(reply.body, (text) => text) !== null;

export async function searchHealth(product: Product, settings: SearchSettings, options: HealthOptions): Promise<string> {
  const title = TITLES[product];
  const where = `${title} at ${settings.address}`;
  const fail: Fail = (cause, transient = false) => new CollectError('health', where, cause, transient);
  const cluster = await connectCluster(product, settings, { credentialsDir: options.credentialsDir, queue: options.queue ?? new RequestQueue() }, fail);
  const reply = await cluster.send({ kind: 'info' }, options, deniedByCluster);
  const who = cluster.auth.credentials ? `credentials "${cluster.auth.credentials}"` : 'requests without credentials';
  if (reply.status === 403) return `${where} takes ${who}, which may not read its version (GET /, which needs ${INFO_PRIVILEGE[product]}, is denied to them)`;

  const parsed = rootInfo.safeParse(reply.body);
  if (!parsed.success) throw fail(`HTTP 200, not ${title}'s info (GET /)`);
  const { cluster_name: name, version } = parsed.data;
  const shown = (text: string) => clip(oneLine(text), MAX_SHOWN_CHARS);
  if (product === 'opensearch' && version.distribution !== 'opensearch') throw fail(`the server is not OpenSearch (its info names no distribution "opensearch"): for Elasticsearch, use source.elasticsearch`);
  return `${title} ${shown(version.number)} (cluster ${shown(name)}) at ${settings.address}`;
}
