// The Loki backend as the registry sees it: Grafana Loki's query API, for logs.
import type { Backend } from '../backend.js';
import { createLokiSource } from './client.js';
import { lokiHealth } from './health.js';
import { EXAMPLE, fieldProblem, queryProblems } from './logql.js';
import { lokiSettingsSchema, type LokiSettings } from './settings.js';

export const loki: Backend<LokiSettings> = {
  title: 'Loki',
  settings: lokiSettingsSchema,
  logs: { create: createLokiSource, queryProblems: (query) => queryProblems(query), example: EXAMPLE, fieldProblem },
  health: lokiHealth,
};
