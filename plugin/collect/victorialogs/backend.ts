// The VictoriaLogs backend as the registry sees it: VictoriaLogs' LogsQL query API, for logs.
import type { Backend } from '../backend.js';
import { createVictoriaLogsSource } from './client.js';
import { victoriaLogsHealth } from './health.js';
import { EXAMPLE, fieldProblem, queryProblems } from './logsql.js';
import { victoriaLogsSettingsSchema, type VictoriaLogsSettings } from './settings.js';

export const victorialogs: Backend<VictoriaLogsSettings> = {
  title: 'VictoriaLogs',
  settings: victoriaLogsSettingsSchema,
  logs: { create: createVictoriaLogsSource, queryProblems: (query) => queryProblems(query), example: EXAMPLE, fieldProblem },
  health: victoriaLogsHealth,
};
