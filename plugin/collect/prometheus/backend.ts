// The Prometheus backend as the registry sees it: any server speaking Prometheus' HTTP query API.
import type { Backend } from '../backend.js';
import { createPrometheusSource } from './client.js';
import { EXAMPLES, labelProblem, queryProblems } from './dialect.js';
import { prometheusHealth } from './health.js';
import { sampling } from './sampling.js';
import { prometheusSettingsSchema, type PrometheusSettings } from './settings.js';

export const prometheus: Backend<PrometheusSettings> = {
  title: 'Prometheus',
  settings: prometheusSettingsSchema,
  metrics: { create: createPrometheusSource, queryProblems, examples: EXAMPLES, labelProblem, sampling },
  health: prometheusHealth,
};
