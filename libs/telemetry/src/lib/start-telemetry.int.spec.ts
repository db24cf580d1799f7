import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { transformFileSync } from '@swc/core';
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { startTelemetry } from './start-telemetry';

const OTEL_VARS = ['OTEL_SDK_DISABLED', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
const REMOTE_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const ROOT = join(__dirname, '..', '..', '..', '..');
const run = promisify(execFile);

// What an app's first import does, then a span, then shutdown; prints what the test checks.
const CHILD = `
const { startTelemetry } = require(process.argv[1]);
const { trace } = require('@opentelemetry/api');
const telemetry = startTelemetry({ serviceName: 'credential-broker' });
const again = startTelemetry({ serviceName: 'other' }) === telemetry;
const span = trace.getTracer('t').startSpan('issue-credentials');
const recording = span.isRecording();
span.end();
const nestModules = Object.keys(require.cache).filter((path) => path.includes('/@nestjs/'));
telemetry.shutdown().then(() => console.log(JSON.stringify({ mode: telemetry.mode, again, recording, nestModules })));
`;

// Without an OTLP endpoint: an HTTP server's requests still land in the Prometheus text of /metrics.
const SILENT_CHILD = `
const { startTelemetry, prometheusText, runtrailCounter } = require(process.argv[1]);
const telemetry = startTelemetry({ serviceName: 'audit' });
const http = require('node:http');
const server = http.createServer((req, res) => res.writeHead(204).end()).listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  await fetch('http://127.0.0.1:' + port + '/v1/ping');
  runtrailCounter('findings').add(2, { 'runtrail.finding.kind': 'used-after-end' });
  server.close();
  const text = await prometheusText();
  await telemetry.shutdown();
  console.log(JSON.stringify({ mode: telemetry.mode, text, after: await prometheusText() }));
});
`;

// A command's start (runtrail exec): importing the lib and a light start without an endpoint load
// none of OpenTelemetry's SDK packages, yet a trace handed in goes on; with an endpoint the SDK loads.
const LIGHT_CHILD = `
const sdkModules = () => Object.keys(require.cache).filter((path) => /@opentelemetry\\/(sdk-|exporter-|instrumentation)/.test(path)).length;
const { startTelemetry, runtrailCounter } = require(process.argv[1]);
const { context, propagation } = require('@opentelemetry/api');
runtrailCounter('findings').add(1);
const imported = sdkModules();
const telemetry = startTelemetry({ serviceName: 'runtrail-exec', light: true });
const handed = propagation.extract(context.active(), { traceparent: '${REMOTE_PARENT}' });
context.with(handed, async () => {
  await new Promise((resolve) => setTimeout(resolve, 10));
  const outgoing = {};
  propagation.inject(context.active(), outgoing);
  await telemetry.shutdown();
  console.log(JSON.stringify({ mode: telemetry.mode, imported, started: sdkModules(), traceparent: outgoing.traceparent ?? null }));
});
`;

/** Compiles libs/telemetry/src (without specs) to CommonJS in a temporary folder. */
function compileLib(): string {
  const src = join(__dirname, '..');
  const out = mkdtempSync(join(tmpdir(), 'runtrail-telemetry-'));
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [join(dir, entry.name)] : [],
    );
  for (const file of walk(src)) {
    const { code } = transformFileSync(file, {
      swcrc: false,
      module: { type: 'commonjs' },
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    });
    const target = join(out, relative(src, file).replace(/\.ts$/, '.js'));
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileSync(target, code);
  }
  return out;
}

describe('startTelemetry', () => {
  const saved = Object.fromEntries(OTEL_VARS.map((name) => [name, process.env[name]]));
  const diagnostics: string[] = [];
  beforeEach(() => {
    for (const name of OTEL_VARS) delete process.env[name];
    diagnostics.length = 0;
    const record = (message: string) => diagnostics.push(message);
    diag.setLogger({ error: record, warn: record, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
  });
  afterEach(() => {
    diag.disable();
    for (const name of OTEL_VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('registers nothing when OTEL_SDK_DISABLED=true, and spans are harmless no-ops', async () => {
    process.env['OTEL_SDK_DISABLED'] = 'true';
    const telemetry = startTelemetry({ serviceName: 'audit' });
    expect(telemetry.mode).toBe('disabled');
    const span = trace.getTracer('t').startSpan('work');
    expect(span.isRecording()).toBe(false);
    span.setAttribute('k', 'v');
    span.end();
    await telemetry.shutdown();
  });

  it('is silent without an endpoint but still passes an incoming trace context on', async () => {
    const telemetry = startTelemetry({ serviceName: 'audit' });
    expect(telemetry.mode).toBe('silent');

    const incoming = propagation.extract(context.active(), { traceparent: REMOTE_PARENT });
    const outgoing: Record<string, string> = {};
    trace.getTracer('t').startActiveSpan('consume', {}, incoming, (span) => {
      expect(span.isRecording()).toBe(false);
      propagation.inject(context.active(), outgoing);
      span.end();
    });
    expect(outgoing['traceparent']).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);

    await telemetry.shutdown();
    expect(diagnostics).toEqual([]);
  });

  // The OTLP/HTTP exporter loads `http` with a dynamic import(), which Jest's VM refuses; so this
  // runs the compiled lib in a plain Node process, as an app's main.ts would.
  it('exports spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, loading no Nest module', async () => {
    const received: Array<{ url: string | undefined; body: string }> = [];
    const collector = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ url: req.url, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const outDir = compileLib();
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const child = await run(process.execPath, ['-e', CHILD, join(outDir, 'index.js')], {
        cwd: ROOT,
        env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      });
      expect(JSON.parse(child.stdout)).toEqual({ mode: 'otlp', again: true, recording: true, nestModules: [] });
      expect(received.map((r) => r.url)).toEqual(['/v1/traces']);
      expect(received[0]!.body).toContain('issue-credentials');
      expect(received[0]!.body).toContain('credential-broker');
    } finally {
      collector.close();
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('loads none of the SDK on import, nor on a light start without an endpoint, which still passes a trace on; loads it when one is set', async () => {
    const outDir = compileLib();
    try {
      const started = async (env: Record<string, string>) =>
        JSON.parse(
          (
            await run(process.execPath, ['-e', LIGHT_CHILD, join(outDir, 'index.js')], {
              cwd: ROOT,
              env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), ...env },
            })
          ).stdout,
        ) as { mode: string; imported: number; started: number; traceparent: string | null };
      expect(await started({})).toEqual({ mode: 'silent', imported: 0, started: 0, traceparent: REMOTE_PARENT });
      const exporting = await started({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
      expect(exporting).toMatchObject({ mode: 'otlp', imported: 0 });
      expect(exporting.started).toBeGreaterThan(0);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('keeps metrics for /metrics without an endpoint: the HTTP server histogram and runtrail counters, as Prometheus text', async () => {
    const outDir = compileLib();
    try {
      const child = await run(process.execPath, ['-e', SILENT_CHILD, join(outDir, 'index.js')], {
        cwd: ROOT,
        env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
      });
      const { mode, text, after } = JSON.parse(child.stdout) as { mode: string; text: string; after: string };
      expect(mode).toBe('silent');
      expect(text).toContain('# TYPE http_server_request_duration histogram');
      expect(text).toMatch(/^http_server_request_duration_count\{http_request_method="GET",.*http_response_status_code="204".*\} 1$/m);
      expect(text).toMatch(/^runtrail_audit_findings_total\{runtrail_finding_kind="used-after-end",.*\} 2$/m);
      expect(text).toMatch(/^target_info\{.*service_name="audit".*\} 1$/m);
      // Not the process's command line: runtrail exec's holds the user's command and its arguments.
      expect(text).not.toMatch(/process_command|SILENT_CHILD|prometheusText/);
      expect(after).toBe('');
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
