// `rollouts-cv check` as a command: the file, the pods to compare (given, or the Rollout's from the cluster), the
// live source; exit 0 when every source answers and every metric has enough data to judge, 1 when not, 2 on a
// usage error.
import { createHealthSource } from '../collect/registry.js';
import { wholeSeconds } from '../verify/measurement.js';
import { checkVerification, type Groups } from './check.js';
import { checkSources } from './health.js';
import { formatReport } from './report.js';
import { readTargets, type TargetOptions, UsageError } from './inputs.js';

export interface CheckOptions extends TargetOptions {
  windowMs: number;
  json: boolean;
  credentialsDir?: string;
}

/** Runs the check; resolves with the exit code. */
export async function runCheckCommand(options: CheckOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let found;
  let groups: Groups;
  try {
    ({ found, groups } = await readTargets(options));
  } catch (error) {
    err.write(`rollouts-cv check: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
  const end = wholeSeconds(new Date());
  const sourceOptions = { credentialsDir: options.credentialsDir };
  const checks = await Promise.all(
    found.verifications.map(async (verification) => {
      // Before the queries: a source that cannot be reached, or refuses the credentials, is told as such first.
      const sources = await checkSources(verification.settings, sourceOptions);
      const check = await checkVerification(verification, groups, end, options.windowMs, createHealthSource(verification.settings.source, sourceOptions));
      return { ...check, sources };
    }),
  );
  const report = formatReport(checks, found.problems);
  out.write(options.json ? `${JSON.stringify({ ok: report.ok, groups, verifications: checks, problems: found.problems })}\n` : report.text);
  return report.ok ? 0 : 1;
}
