// The New Relic backend as the registry sees it: NRQL through NerdGraph, for metrics and for logs.
import type { Backend } from '../backend.js';
import { createNewRelicSource } from './client.js';
import { EXAMPLES, LOGS_EXAMPLE, logQueryProblems, queryProblems } from './dialect.js';
import { newRelicHealth } from './health.js';
import { createNewRelicLogSource } from './logs.js';
import { attributeProblem } from './nrql.js';
import { newRelicSettingsSchema, type NewRelicSettings } from './settings.js';

export const newrelic: Backend<NewRelicSettings> = {
  title: 'New Relic',
  settings: newRelicSettingsSchema,
  metrics: { create: createNewRelicSource, queryProblems: (query, use) => queryProblems(query, use), examples: EXAMPLES, labelProblem: attributeProblem },
  logs: { create: createNewRelicLogSource, queryProblems: (query) => logQueryProblems(query), example: LOGS_EXAMPLE, fieldProblem: attributeProblem },
  health: newRelicHealth,
};
