// For the tests of the readers of stored verifications (analysis-run.ts, gate-step.ts).
import { expect } from 'vitest';
import { ReportError } from './stored.js';

/** The ReportError `read` throws; the test fails when it returns or throws anything else. */
export function reportError(read: () => unknown): ReportError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ReportError);
    return error as ReportError;
  }
  throw new Error('expected a ReportError; got a verification');
}
