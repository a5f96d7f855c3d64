// A verification's charts in a Slack thread: an intervention request's, a rollout's whose verify gate failed, a
// pipeline run's verify step. The report link comes from an object (an AnalysisRun, a Rollout's step status) that
// anyone who may edit it could have forged, so the bot never fetches the host the link names: it takes only the
// link's path, which must name a report page as the engine serves them (shared/verdicts/report-path.ts), and asks the
// configured engine for that report's image. The image is an extra: whatever goes wrong is logged, and the work goes
// on without it.
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../shared/log.js';
import { clip } from '../../shared/text.js';
import { parseReportPath, reportPath } from '../../shared/verdicts/report-path.js';

const FETCH_TIMEOUT_MS = 10_000;
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_VERDICT = 64;

/**
 * Where the engine at `engineUrl` serves the image of the report `link` names: the link's path alone (after the
 * engine's own path prefix, if it has one) on the engine's address. Undefined when the path names no report.
 */
export function reportImageUrl(link: string, engineUrl: string): string | undefined {
  let path: string;
  try {
    path = new URL(link).pathname;
  } catch {
    return undefined;
  }
  const engine = new URL(engineUrl);
  const prefix = engine.pathname.replace(/\/+$/, '');
  const tail = prefix && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
  const named = parseReportPath(tail);
  return typeof named === 'string' ? undefined : `${engine.origin}${prefix}${reportPath(named)}?format=png`;
}

/** The PNG at `url`, fetched within FETCH_TIMEOUT_MS and MAX_IMAGE_BYTES; throws saying what is wrong with the answer. */
export async function fetchPng(url: string): Promise<Buffer> {
  let response: Response;
  try {
    // No redirect is followed: the engine never answers with one, and one could lead anywhere.
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error', headers: { accept: 'image/png' } });
  } catch (error) {
    // fetch says only "fetch failed"; its cause says why (refused, unresolved, a redirect).
    const cause = (error as { cause?: unknown }).cause;
    throw new Error(`no answer from the engine: ${cause instanceof Error ? cause.message : (error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`the engine answered ${response.status} ${response.statusText}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_IMAGE_BYTES) {
    await response.body?.cancel();
    throw new Error(`the image is over ${MAX_IMAGE_BYTES} bytes (${declared} declared)`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    // Leaving the loop cancels the rest of the body.
    if (size > MAX_IMAGE_BYTES) throw new Error(`the image is over ${MAX_IMAGE_BYTES} bytes`);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (!body.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) throw new Error(`the engine's answer is not a PNG (content-type ${response.headers.get('content-type') ?? 'none'})`);
  return body;
}

export interface ReportImage {
  /** The engine's report server, as the bot's configuration names it (reports.engineUrl). */
  engineUrl: string;
  /** The report link the request carries (spec.evidence.report). */
  link: string;
  /** The intervention message: the image goes in its thread. */
  channel: string;
  threadTs: string;
  verdict?: string;
  /** The request, as log lines name it. */
  object: string;
}

/** Fetches the report's image from the engine and uploads it into the message's thread; a failure is logged, never thrown. */
export async function postReportImage(client: WebClient, log: Logger, image: ReportImage): Promise<void> {
  const url = reportImageUrl(image.link, image.engineUrl);
  const context = { object: image.object, link: clip(image.link, 300) };
  if (!url) return log.warn(context, 'the report link names no report page of the engine: no image posted');
  try {
    const png = await fetchPng(url);
    const verdict = image.verdict ? `, verdict ${clip(image.verdict, MAX_VERDICT)}` : '';
    await client.filesUploadV2({
      channel_id: image.channel,
      thread_ts: image.threadTs,
      file: png,
      filename: 'verification.png',
      title: 'Verification charts',
      alt_text: `Charts of the verification's most decisive metrics${verdict}`,
    });
    log.info({ ...context, bytes: png.length }, 'report image posted');
  } catch (error) {
    log.warn({ ...context, url, err: (error as Error).message }, 'cannot post the report image; going on without it');
  }
}
