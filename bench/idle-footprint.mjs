#!/usr/bin/env node
// Start-up time and idle memory of each service (PERFORMANCE.md: ready <= 3 s after build, idle
// RSS <= 150 MB per service, <= 300 MB for standalone). Needs `node tools/build.mjs` first and
// nats-server on PATH. Usage: node bench/idle-footprint.mjs [--runs 3]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const apps = ['integrations', 'verifier', 'credential-broker', 'oidc-issuer', 'audit', 'standalone'];
const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'runtrail-footprint-'));
const natsPort = await freePort();
const nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', join(dir, 'nats')], { stdio: 'ignore' });
await sleep(500);

const results = [];
for (const app of apps) {
  const ready = [];
  const rss = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const started = performance.now();
    const child = spawn(process.execPath, [`dist/apps/${app}/src/main.js`], {
      env: {
        ...process.env,
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        PORT: String(port),
        DATABASE_URL: `sqlite:${join(dir, `${app}-${i}`)}/`,
        OIDC_PUBLIC_URL: `http://127.0.0.1:${port}`,
        OIDC_KEK: randomBytes(32).toString('base64'),
        OTEL_SDK_DISABLED: 'true',
      },
      stdio: 'ignore',
    });
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
      if (res?.status === 200) break;
      await sleep(20);
    }
    ready.push(performance.now() - started);
    await sleep(5000); // idle: timers settled, start-up garbage collected or not
    rss.push(rssMb(child.pid));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  results.push({ app, readyMs: Math.round(median(ready)), rssMb: Math.round(median(rss)) });
}
nats.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
console.log(`| app | ready after start (median of ${runs}) | idle RSS (median) |\n| --- | ---: | ---: |`);
for (const r of results) console.log(`| ${r.app} | ${r.readyMs} ms | ${r.rssMb} MB |`);
