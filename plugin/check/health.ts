// The first thing `rollouts-cv check` tells of a verification: whether the engine reaches its metrics source and, when
// it reads logs, its log source, with the credentials it would use, and what answered (each backend's health check).
import type { HealthOptions } from '../collect/backend.js';
import { backendOf, checkSourceHealth } from '../collect/registry.js';
import { CollectError } from '../collect/source.js';
import type { VerifySettings } from '../config/schema.js';

export interface SourceHealth {
  /** `source` (the metrics') or `logs.source`, as the config names them. */
  setting: 'source' | 'logs.source';
  ok: boolean;
  /** What answered (e.g. "Prometheus 2.53.3 at http://prometheus:9090"), or why the check failed. */
  detail: string;
}

/** Each source of the verification whose backend has a health check, the metrics' first; never rejects. */
export async function checkSources(settings: VerifySettings, options: HealthOptions): Promise<SourceHealth[]> {
  const sources = [{ setting: 'source' as const, config: settings.source }, ...(settings.logs ? [{ setting: 'logs.source' as const, config: settings.logs.source }] : [])];
  return Promise.all(
    sources.filter(({ config }) => backendOf(config).health !== undefined).map(({ setting, config }) =>
      checkSourceHealth(config, options).then(
        (detail): SourceHealth => ({ setting, ok: true, detail }),
        (error: unknown): SourceHealth => ({ setting, ok: false, detail: error instanceof CollectError ? `${error.source}: ${error.causeText}` : error instanceof Error ? error.message : String(error) }),
      ),
    ),
  );
}
