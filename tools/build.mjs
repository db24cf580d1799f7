#!/usr/bin/env node
// Compiles apps/, libs/ and bench/ to dist/ with SWC (about a second for the whole tree), rewriting the
// `@runtrail/*` path aliases of tsconfig.base.json to relative requires. Type checking is a
// separate step (`npm run typecheck`). Unchanged files are skipped, so a rebuild is near-instant.
import { transformFile } from '@swc/core';
import { createRequire } from 'node:module';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
const swcConfig = require('./swc.config.js');
const { compilerOptions } = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
const options = swcConfig({ baseUrl: root, paths: compilerOptions.paths });

const skip = (name) => name.endsWith('.spec.ts') || name.endsWith('.d.ts') || name === 'e2e' || name === 'jest.config.ts';

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip(entry.name) || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
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
