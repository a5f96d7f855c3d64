// A synthetic app scraped by a real local Prometheus: the evidence source for demos and integration tests.
import { type LocalPrometheus, startLocalPrometheus } from './local-prometheus.js';
import { type SyntheticApp, startSyntheticApp } from './synthetic-app.js';

export interface SandboxOptions {
  prometheusPort?: number;
  appPort?: number;
  /** Seed for the app's traffic. */
  seed?: number;
  /** Seconds between Prometheus' scrapes of the app; 1 unless given. */
  scrapeIntervalSeconds?: number;
}

export interface Sandbox {
  prometheus: string;
  app: string;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const app: SyntheticApp = await startSyntheticApp({ port: options.appPort, seed: options.seed });
  let prometheus: LocalPrometheus;
  try {
    prometheus = await startLocalPrometheus({ targets: [new URL(app.url).host], port: options.prometheusPort, scrapeIntervalSeconds: options.scrapeIntervalSeconds });
  } catch (error) {
    await app.stop();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    prometheus: prometheus.url,
    app: app.url,
    stop: () => (stopping ??= Promise.all([prometheus.stop(), app.stop()]).then(() => undefined)),
  };
}
