import { readFileSync } from 'node:fs';
import { RuntrailError, type FieldIssue } from '@runtrail/contracts';
import { seedSchema, type Seed, type ValidSeed } from './seed.schema';

/**
 * Reads and validates a seed (a file path or an object). Throws `VALIDATION_FAILED` naming every
 * bad field by its path, e.g. `accounts[0].users[1].accessKeys[0].accessKeyId: must be AKIA...`.
 */
export function loadSeed(seed: Seed | string): ValidSeed {
  const where = typeof seed === 'string' ? seed : 'the seed object';
  let input: unknown = seed;
  if (typeof seed === 'string') {
    let text: string;
    try {
      text = readFileSync(seed, 'utf8');
    } catch (error) {
      throw new RuntrailError(
        'NOT_FOUND',
        `Cannot read the emulator seed file ${seed}: ${(error as Error).message}`,
      );
    }
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw new RuntrailError(
        'VALIDATION_FAILED',
        `The emulator seed file ${seed} is not JSON: ${(error as Error).message}`,
      );
    }
  }
  const parsed = seedSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
    path: formatPath(i.path),
    rule: i.message,
  }));
  const lines = issues.map((i) => `  ${i.path}: ${i.rule}`).join('\n');
  throw new RuntrailError('VALIDATION_FAILED', `Invalid emulator seed (${where}):\n${lines}`, issues);
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)),
      '',
    ) || '(root)'
  );
}
