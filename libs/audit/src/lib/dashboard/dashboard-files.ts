import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where `node tools/build.mjs` writes the dashboard (apps/dashboard, built by Vite). */
const BUILT = join('dist', 'apps', 'dashboard');

/**
 * The built dashboard's folder: the first ancestor of this file holding `dist/apps/dashboard`
 * (the repository when run from sources or `dist/`, `/app` in the image). Null when it was not built.
 */
export function findDashboardFiles(from = __dirname): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, BUILT);
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}
