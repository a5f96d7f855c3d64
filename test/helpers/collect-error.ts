// The CollectError a source's promise is rejected with; the test fails when it resolves or rejects with anything else.
import { expect } from 'vitest';
import { CollectError } from '../../plugin/collect/source.js';

export async function collectError(promise: Promise<unknown>): Promise<CollectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CollectError);
  return error as CollectError;
}
