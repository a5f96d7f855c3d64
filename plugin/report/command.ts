// `rollouts-cv verify` as a command: the verifications of a file, run against the live sources for the pods and
// window given; progress on stderr, a table (or JSON) on stdout, optionally the report page as a file. Exit 0
// when every verification passed, 1 when one did not or could not be measured, 2 on a usage error.
import type { Groups } from '../check/check.js';
import { readTargets, type TargetOptions, UsageError } from '../check/inputs.js';
import type { Report } from './model.js';
import { type OutputOptions, writeReports } from './output.js';
import { chooseWindow, replay, type WindowChoice } from './replay.js';

export interface VerifyCommandOptions extends TargetOptions, WindowChoice, OutputOptions {
  /** Only the verifications whose name contains this. */
  only?: string;
  credentialsDir?: string;
}

function bothGroups(groups: Groups): { canary: string; stable: string } {
  if (!groups.canary) throw new UsageError(`there is no canary to verify: the Rollout has no update in progress (or --canary-hash was left out); give --canary-hash and --stable-hash for a past rollout`);
  return { canary: groups.canary, stable: groups.stable };
}

/** The window the user asked for; one that is empty or has not ended is their mistake. */
function windowOf(durationMs: number, choice: WindowChoice, now: Date) {
  try {
    return chooseWindow(durationMs, choice, now);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function runVerifyCommand(options: VerifyCommandOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream, now = new Date()): Promise<number> {
  const fail = (error: unknown) => {
    err.write(`rollouts-cv verify: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  };
  try {
    const { found, groups } = await readTargets(options);
    const verifications = found.verifications.filter((v) => !options.only || v.name.includes(options.only));
    for (const problem of found.problems) err.write(`rollouts-cv verify: ${problem.name}: ${problem.error}\n`);
    if (!verifications.length) throw new UsageError(found.verifications.length ? `no verification's name contains ${JSON.stringify(options.only)}; found: ${found.verifications.map((v) => v.name).join('; ')}` : `no rollouts-cv verification in ${options.file}`);
    if (options.html && verifications.length > 1) {
      throw new UsageError(`--html writes one report, and ${options.file} has ${verifications.length} verifications: choose one with --only <text> (${verifications.map((v) => v.name).join('; ')})`);
    }
    const pods = bothGroups(groups);
    const plan = verifications.map((v) => ({ ...v, window: windowOf(v.settings.durationMs, options, now) }));
    const reports: Report[] = [];
    let measured = true;
    for (const verification of plan) {
      if (!options.quiet) err.write(`${verification.name}: collecting ${verification.window.start.toISOString()} – ${verification.window.end.toISOString()}\n`);
      try {
        reports.push(
          await replay({
            name: verification.name,
            settings: verification.settings,
            written: verification.written,
            groups: pods,
            window: verification.window,
            sourceOptions: { credentialsDir: options.credentialsDir },
            ...(!options.quiet && { onRead: (name: string, ms: number) => err.write(`  read ${name} (${Math.round(ms)} ms)\n`) }),
            now,
          }),
        );
      } catch (error) {
        measured = false;
        err.write(`rollouts-cv verify: ${verification.name}: could not be measured: ${(error as Error).message}\n`);
      }
    }
    await writeReports(reports, options, out, err);
    return measured && !found.problems.length && reports.every((r) => r.phase === 'Successful') ? 0 : 1;
  } catch (error) {
    return fail(error);
  }
}
