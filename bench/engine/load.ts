// The controller's side of the engine benchmark: verifications driven over gRPC as the bridge drives them (one
// channel, a 30 s deadline per call), timed at the caller.
import * as grpc from '@grpc/grpc-js';
import { loadServices } from '../../plugin/server/proto.js';
import type { WireMeasurement } from '../../plugin/server/wire.js';
import { type Service, type Timing, analysisRunObject, metricObject } from './scenario.js';

/** The bridge's default --call-timeout. */
const CALL_DEADLINE_MS = 30_000;
/** A look whose collection failed is tried again at the resumeAt the engine gave, up to this many times. */
const MAX_RETRIES_PER_LOOK = 60;

export interface CallLog {
  latenciesMs: number[];
  /** Calls that failed at the gRPC level, by status (the bridge turns each into an Error measurement). */
  errors: Record<string, number>;
  /** Answers with phase Error. */
  errorMeasurements: number;
  /** Looks answered "collection failed, will retry" and tried again. */
  retries: number;
  /** How the verifications ended: a final phase, or "error" when a call or an Error measurement ended them. */
  outcomes: Record<string, number>;
  resumes: number;
  /** A sample of the Error measurements' and failed calls' messages. */
  errorSamples: string[];
}

export function newCallLog(): CallLog {
  return { latenciesMs: [], errors: {}, errorMeasurements: 0, retries: 0, outcomes: {}, resumes: 0, errorSamples: [] };
}

type Method = 'Run' | 'Resume';

export interface EngineCaller {
  call(method: Method, request: object): Promise<WireMeasurement | undefined>;
  close(): void;
}

/** One channel to the engine, as the bridge keeps one; failed calls are counted in `log` and resolve undefined. */
export function engineCaller(address: string, log: CallLog): EngineCaller {
  const client = new (loadServices().metricProvider)(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 << 20 });
  const note = (message: string) => {
    if (log.errorSamples.length < 5) log.errorSamples.push(message.slice(0, 300));
  };
  return {
    call: (method, request) =>
      new Promise((resolve) => {
        const started = performance.now();
        const fn = (client as unknown as Record<Method, grpc.requestCallback<WireMeasurement> & ((...args: unknown[]) => void)>)[method];
        fn.call(client, request, { deadline: Date.now() + CALL_DEADLINE_MS }, (error: grpc.ServiceError | null, response?: WireMeasurement) => {
          log.latenciesMs.push(performance.now() - started);
          if (method === 'Resume') log.resumes++;
          if (error) {
            const code = grpc.status[error.code] ?? String(error.code);
            log.errors[code] = (log.errors[code] ?? 0) + 1;
            note(`${method}: ${error.message}`);
            return resolve(undefined);
          }
          if (response?.phase === 'Error') {
            log.errorMeasurements++;
            note(`${method} Error measurement: ${response.message}`);
          }
          resolve(response);
        });
      }),
    close: () => client.close(),
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const isRetry = (m: WireMeasurement) => m.phase === 'Running' && /will retry/.test(m.message);
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface VerificationSpec {
  id: number;
  service: Service;
  prometheus: string;
  timing: Timing;
  looks: number;
}

function requestOf(spec: VerificationSpec): { analysis_run_json: Buffer; metric_json: Buffer } {
  const metric = metricObject(spec.service, spec.prometheus, spec.timing, spec.looks);
  return { analysis_run_json: json(analysisRunObject(spec.service, spec.id, metric)), metric_json: json(metric) };
}

function end(log: CallLog, outcome: string): void {
  log.outcomes[outcome] = (log.outcomes[outcome] ?? 0) + 1;
}

/**
 * A burst verification: Run, then its looks one after the other without waiting, each as if `k` intervals of the
 * window had passed (the window start recorded in the measurement is moved back), the last at the window's end.
 * A look answered "will retry" is tried again at the resumeAt given, as the controller would.
 */
export async function burstVerification(caller: EngineCaller, spec: VerificationSpec, log: CallLog): Promise<void> {
  const request = requestOf(spec);
  let measurement = await caller.call('Run', request);
  if (!measurement || measurement.phase === 'Error') return end(log, 'error');
  const lookMs = spec.timing.lookSeconds * 1000;
  for (let look = 1; look <= spec.looks; look++) {
    for (let attempt = 0; ; attempt++) {
      const start = Date.now() - look * lookMs;
      const metadata = { ...measurement.metadata, windowStart: rfc3339(start), windowEnd: rfc3339(start + spec.looks * lookMs) };
      const answer = await caller.call('Resume', { ...request, measurement: { ...measurement, metadata } });
      if (!answer || answer.phase === 'Error') return end(log, 'error');
      if (answer.finished_at) return end(log, answer.phase);
      if (!isRetry(answer)) {
        measurement = answer;
        break;
      }
      log.retries++;
      if (attempt >= MAX_RETRIES_PER_LOOK) return end(log, 'gave up');
      await sleep(Date.parse(answer.resume_at) - Date.now());
    }
  }
  end(log, 'unfinished');
}

/** A verification in real time: Run, then Resume at each resumeAt the engine gives, until it finishes. */
export async function liveVerification(caller: EngineCaller, spec: VerificationSpec, log: CallLog): Promise<void> {
  const request = requestOf(spec);
  let measurement = await caller.call('Run', request);
  while (measurement && measurement.phase !== 'Error' && !measurement.finished_at) {
    if (isRetry(measurement)) log.retries++;
    await sleep(Date.parse(measurement.resume_at) - Date.now());
    measurement = await caller.call('Resume', { ...request, measurement });
  }
  end(log, !measurement || measurement.phase === 'Error' ? 'error' : measurement.phase);
}

