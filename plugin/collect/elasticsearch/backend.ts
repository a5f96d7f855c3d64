// The Elasticsearch and OpenSearch backends as the registry sees them: two kinds, one module. Their search APIs,
// query language and answers are the same for what a log source needs; what differs is the client (each product's
// own, see transport.ts), and so the kind a config names must be the product it reads.
import type { Backend } from '../backend.js';
import { createSearchLogSource } from './client.js';
import { TITLES } from './cluster-request.js';
import { EXAMPLE, fieldProblem, queryProblems } from './dialect.js';
import { searchHealth } from './health.js';
import { searchSettingsSchema, type SearchSettings } from './settings.js';
import type { Product } from './transport.js';

function searchBackend(product: Product): Backend<SearchSettings> {
  return {
    title: TITLES[product],
    settings: searchSettingsSchema,
    logs: { create: (settings, options) => createSearchLogSource(product, settings, options), queryProblems: (query) => queryProblems(query), example: EXAMPLE, fieldProblem },
    health: (settings, options) => searchHealth(product, settings, options),
  };
}

export const elasticsearch = searchBackend('elasticsearch');
export const opensearch = searchBackend('opensearch');
