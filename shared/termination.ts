import { fstatSync } from 'node:fs';

export interface TerminationOptions {
  /**
   * Also end when standard input reaches end of file, so a parent that launched this process with a pipe stops
   * it by closing the pipe or by dying. Only pipes, sockets and files count: a terminal or /dev/null would
   * otherwise end (or never signal) the process for no reason.
   */
  stdinEof?: boolean;
}

/** Resolves with what asked this process to stop: "SIGTERM", "SIGINT" or "stdin closed". */
export function waitForTermination(options: TerminationOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const finish = (reason: string) => {
      process.off('SIGTERM', onTerm).off('SIGINT', onInt);
      process.stdin.off('end', onEnd);
      if (watchStdin) process.stdin.pause();
      resolve(reason);
    };
    const onTerm = () => finish('SIGTERM');
    const onInt = () => finish('SIGINT');
    const onEnd = () => finish('stdin closed');
    process.once('SIGTERM', onTerm).once('SIGINT', onInt);
    const watchStdin = options.stdinEof === true && stdinIsStream();
    if (watchStdin) process.stdin.on('end', onEnd).resume();
  });
}

function stdinIsStream(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket() || stat.isFile();
  } catch {
    return false;
  }
}
