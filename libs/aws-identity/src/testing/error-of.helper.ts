import { RuntrailError } from '@runtrail/contracts';

/** The RuntrailError `fn` throws; fails the test if it throws nothing or something else. */
export function errorOf(fn: () => unknown): RuntrailError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuntrailError) return error;
    throw error;
  }
  throw new Error('expected a RuntrailError, but nothing was thrown');
}
