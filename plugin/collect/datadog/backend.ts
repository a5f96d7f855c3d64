// The Datadog backend as the registry sees it: metrics through the timeseries API, logs through log search.
import type { Backend } from '../backend.js';
import { createDatadogSource } from './client.js';
import { datadogHealth } from './health.js';
import { EXAMPLES, LOG_EXAMPLE, fieldProblem, labelProblem, logQueryProblems, queryProblems } from './dialect.js';
import { createDatadogLogSource } from './log-client.js';
import { datadogSettingsSchema, type DatadogSettings } from './settings.js';

export const datadog: Backend<DatadogSettings> = {
  title: 'Datadog',
  settings: datadogSettingsSchema,
  metrics: { create: createDatadogSource, queryProblems, examples: EXAMPLES, labelProblem },
  logs: { create: createDatadogLogSource, queryProblems: logQueryProblems, example: LOG_EXAMPLE, fieldProblem },
  health: datadogHealth,
};
