// Where `rollouts-cv pipeline` writes: results on stdout, notes and errors on stderr, one line at a time.
export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

export function streamOutput(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Output {
  return { out: (line) => void stdout.write(`${line}\n`), err: (line) => void stderr.write(`${line}\n`) };
}
