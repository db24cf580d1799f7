#!/usr/bin/env node
// Compiles apps/, libs/ and bench/ to dist/ with SWC (about a second for the whole tree), rewriting the
// `@runtrail/*` path aliases of tsconfig.base.json to relative requires. Type checking is a
// separate step (`npm run typecheck`). Unchanged files are skipped, so a rebuild is near-instant.
import { transformFile } from '@swc/core';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
const swcConfig = require('./swc.config.js');
const { compilerOptions } = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
const options = swcConfig({ baseUrl: root, paths: compilerOptions.paths });

const skip = (name) => name.endsWith('.spec.ts') || name.endsWith('.d.ts') || name === 'e2e' || name === 'jest.config.ts';
// apps/dashboard is a browser app: Vite builds it (below), SWC only its e2e support (none: skipped).
const ownBuild = (path) => path === join(root, 'apps', 'dashboard');

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip(entry.name) || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (ownBuild(path)) continue;
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) yield path;
  }
}

async function isFresh(src, out) {
  try {
    return (await stat(out)).mtimeMs >= (await stat(src)).mtimeMs;
  } catch {
    return false;
  }
}

const started = Date.now();
let built = 0;
let total = 0;
const jobs = [];
for (const top of ['apps', 'libs', 'bench']) {
  for await (const src of sources(join(root, top))) {
    total++;
    const rel = relative(root, src);
    const out = join(outDir, rel.replace(/\.ts$/, '.js'));
    jobs.push(
      (async () => {
        if (await isFresh(src, out)) return;
        await mkdir(dirname(out), { recursive: true });
        if (src.endsWith('.json')) {
          await writeFile(out, await readFile(src));
        } else {
          const { code, map } = await transformFile(src, { ...options, filename: src, sourceFileName: relative(dirname(out), src) });
          await writeFile(out, `${code}\n//# sourceMappingURL=${out.split('/').pop()}.map\n`);
          // Entry points with a shebang (the CLI, package.json's bin) run as commands: `npx runtrail`.
          if (code.startsWith('#!')) await chmod(out, 0o755);
          if (map) await writeFile(`${out}.map`, map);
        }
        built++;
      })(),
    );
  }
}
await Promise.all(jobs);
console.log(`build: ${built} of ${total} files compiled to dist/ in ${Date.now() - started} ms`);
await buildDashboard();

/** The newest modification time under `dir` (0 for a missing one). */
async function newest(dir) {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? await newest(path) : (await stat(path)).mtimeMs);
  }
  return latest;
}

/**
 * apps/dashboard (served by audit at /dashboard/): type-checked with its own tsconfig (DOM, JSX;
 * Vite does not check types), then built by Vite into dist/apps/dashboard. Skipped when nothing it
 * is made of changed since the last build (its sources, its config, the contracts it reads).
 */
async function buildDashboard() {
  const app = join(root, 'apps', 'dashboard');
  const out = join(outDir, 'apps', 'dashboard', 'index.html');
  const built = await stat(out).then((s) => s.mtimeMs, () => 0);
  const inputs = Math.max(
    await newest(join(app, 'src')),
    ...(await Promise.all(['index.html', 'vite.config.mjs', 'tsconfig.json'].map((f) => stat(join(app, f)).then((s) => s.mtimeMs)))),
    await newest(join(root, 'libs', 'contracts', 'src')),
  );
  if (built >= inputs) return console.log('build: dashboard up to date');
  const begun = Date.now();
  // Both at once (about half the wall time): a type error still fails the build.
  const tsc = new Promise((done) => {
    const child = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('close', (code) => done({ code, output }));
  });
  const { build } = await import('vite');
  await build({ configFile: join(app, 'vite.config.mjs'), logLevel: 'warn' });
  const checked = await tsc;
  if (checked.code !== 0) {
    await rm(out, { force: true });
    process.stderr.write(`build: dashboard type errors:\n${checked.output}`);
    process.exit(1);
  }
  console.log(`build: dashboard type-checked and built to dist/apps/dashboard in ${Date.now() - begun} ms`);
}
