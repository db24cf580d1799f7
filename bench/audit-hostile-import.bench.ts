// Issue 14: the importer's peak memory on hostile CloudTrail files (target <= 300 MB whatever the file).
//
//   node tools/build.mjs && node dist/bench/audit-hostile-import.bench.js [--write]
//
// Each file is written (streamed, gzip where it would be huge) into a temp folder, then imported by
// the audit CLI (`dist/apps/audit/src/import.js`, the production import path) in its own process
// under /usr/bin/time, on a fresh SQLite store: the figure is that process's peak RSS. A normal
// 100,000-event trail is the reference. --write replaces the section in bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { replaceSection } from './audit-bench.support';
import { generateTrail } from './audit-trail.generator';

const ROOT = resolve(__dirname, '../..');
const MiB = 1024 * 1024;

function goodRecord(id: string): string {
  return JSON.stringify({
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::222222222222:user/ci', accountId: '222222222222', accessKeyId: 'AKIAHOSTILE', userName: 'ci' },
    eventTime: '2026-11-02T10:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'GetRole',
    awsRegion: 'us-east-1',
    requestParameters: { roleName: 'r' },
    eventID: id,
    readOnly: true,
  });
}

interface HostileFile {
  name: string;
  what: string;
  parts: () => AsyncGenerator<Buffer>;
  gzip: boolean;
}

const FILES: HostileFile[] = [
  {
    name: 'bomb-member-name.json.gz',
    what: 'gzip bomb: a top-level member name that inflates to 1.1 GB, then one good record',
    gzip: true,
    async *parts() {
      yield Buffer.from('{"');
      const block = Buffer.alloc(MiB, 'k');
      for (let i = 0; i < 1100; i++) yield block;
      yield Buffer.from(`":1,"Records":[${goodRecord('after-bomb')}]}`);
    },
  },
  {
    name: 'bad-3mb-records.json.gz',
    what: '300 records of 3 MB (no eventID, a secret inside), then one good record',
    gzip: true,
    async *parts() {
      const big = Buffer.from(`${JSON.stringify({ eventName: 'NoId', credentials: { sessionToken: 'x'.repeat(3 * MiB) } })},`);
      yield Buffer.from('{"Records":[');
      for (let i = 0; i < 300; i++) yield big;
      yield Buffer.from(`${goodRecord('after-big')}]}`);
    },
  },
  {
    name: 'bad-900kb-records.json.gz',
    what: '1,000 records of 900 KB that cannot be normalised (no eventID, a secret inside), then one good record',
    gzip: true,
    async *parts() {
      const big = Buffer.from(`${JSON.stringify({ eventName: 'NoId', credentials: { sessionToken: 'x'.repeat(900 * 1024) } })},`);
      yield Buffer.from('{"Records":[');
      for (let i = 0; i < 1000; i++) yield big;
      yield Buffer.from(`${goodRecord('after-900kb')}]}`);
    },
  },
  {
    name: 'deep-request-parameters.json',
    what: 'a valid event whose requestParameters nest 100,000 levels, between two good records',
    gzip: false,
    async *parts() {
      const depth = 100_000;
      const deep = goodRecord('deep').replace('"requestParameters":{"roleName":"r"}', `"requestParameters":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
      yield Buffer.from(`{"Records":[${goodRecord('before-deep')},${deep},${goodRecord('after-deep')}]}`);
    },
  },
  {
    name: 'deep-array-record.json',
    what: 'a record that is a 100,000-deep array, then a good record',
    gzip: false,
    async *parts() {
      yield Buffer.from(`{"Records":[${'['.repeat(100_000)}${']'.repeat(100_000)},${goodRecord('after-array')}]}`);
    },
  },
  {
    name: 'huge-string-record.json.gz',
    what: 'a record that is one 1 GB string, then a good record',
    gzip: true,
    async *parts() {
      yield Buffer.from('{"Records":["');
      const block = Buffer.alloc(MiB, 'y');
      for (let i = 0; i < 1024; i++) yield block;
      yield Buffer.from(`",${goodRecord('after-string')}]}`);
    },
  },
];

async function write(dir: string, file: HostileFile): Promise<string> {
  const path = join(dir, file.name);
  const source = Readable.from(file.parts());
  if (file.gzip) await pipeline(source, createGzip({ level: 9 }), createWriteStream(path));
  else await pipeline(source, createWriteStream(path));
  return path;
}

function importPeak(dir: string, path: string): { rssMb: number; seconds: number; summary: string } {
  const started = performance.now();
  const child = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(ROOT, 'dist/apps/audit/src/import.js'), path], {
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, `${Date.now()}.sqlite`)}` },
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  if (child.status !== 0) throw new Error(`import of ${path} failed: ${child.stderr}`);
  const summary = child.stdout.trim().split('\n').filter((l) => l.includes(' files, ')).pop() ?? '';
  return { rssMb: Math.round(Number(child.stderr.trim().split('\n').pop()) / 1024), seconds: (performance.now() - started) / 1000, summary };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'audit-hostile-bench-'));
  const rows: string[] = [];
  try {
    const trail = generateTrail(join(dir, 'reference'), 100_000);
    const reference = importPeak(dir, trail.dir);
    rows.push(`| reference: 100,000 generated events in ${trail.files} files | — | ${reference.rssMb} MB | ${reference.summary} |`);
    console.log(rows.at(-1));
    for (const file of FILES) {
      const path = await write(dir, file);
      const result = importPeak(dir, path);
      rows.push(`| ${file.what} | ${(statSync(path).size / MiB).toFixed(1)} MB | **${result.rssMb} MB** | ${result.summary} |`);
      console.log(rows.at(-1));
      rmSync(path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const section = [
    '## Issue 14: importer peak RSS on hostile CloudTrail files (bench/audit-hostile-import.bench.ts)',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    '- command: `node tools/build.mjs && node dist/bench/audit-hostile-import.bench.js --write`',
    '- each file imported by the audit CLI (`dist/apps/audit/src/import.js`, SQLite) in its own process; peak RSS from `/usr/bin/time -f %M`. Target: <= 300 MB whatever the file.',
    '',
    '| file | on disk | peak RSS | import summary (events, new, bad) |',
    '| --- | ---: | ---: | --- |',
    ...rows,
  ];
  if (process.argv.includes('--write')) replaceSection(join(ROOT, 'bench/RESULTS.md'), 'I14:hostile-import', section);
  console.log(section.join('\n'));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
