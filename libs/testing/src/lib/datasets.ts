import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The public CloudTrail logs of `shared/datasets/cloudtrail-public`, which sits beside the
 * repository (`../shared`). `RUNTRAIL_DATASETS_DIR` overrides the location of `datasets/`.
 */
export function cloudTrailPublicDatasets(): string {
  const repoRoot = resolve(__dirname, '../../../..');
  const candidates = [
    process.env['RUNTRAIL_DATASETS_DIR'],
    join(repoRoot, '../shared/datasets'),
  ].filter((c): c is string => Boolean(c));
  for (const datasets of candidates) {
    const dir = join(datasets, 'cloudtrail-public');
    if (existsSync(dir)) return dir;
  }
  throw new Error(
    `the public CloudTrail datasets were not found (looked in ${candidates.join(', ')}); ` +
      'clone runtrail beside shared/ or set RUNTRAIL_DATASETS_DIR to the datasets folder',
  );
}
