#!/usr/bin/env node
// rollouts-cv: one command, one subcommand per process kind or task (cli/commands/). Each subcommand loads its
// modules when it runs, so `rollouts-cv judge` starts without the gRPC server or the demo.
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../shared/package-files.js';
import { USAGE_ERROR } from './arguments.js';
import { registerBot } from './commands/bot.js';
import { registerCheck } from './commands/check.js';
import { registerDemo } from './commands/demo.js';
import { registerDeployedBy } from './commands/deployed-by.js';
import { registerEngine } from './commands/engine.js';
import { registerJudge } from './commands/judge.js';
import { registerLogs } from './commands/logs.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerPipelinesController } from './commands/pipelines.js';
import { registerReport } from './commands/report.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerVerify } from './commands/verify.js';

function buildProgram(): Command {
  const program = new Command('rollouts-cv')
    .description('Continuous Verification for Argo Rollouts')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  for (const register of [registerEngine, registerBot, registerPipelinesController, registerPipeline, registerSandbox, registerDemo, registerJudge, registerLogs, registerCheck, registerVerify, registerReport, registerDeployedBy]) register(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; every other parse problem is a usage error (already printed).
      process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR);
    }
    process.stderr.write(`rollouts-cv: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
