import { spawnSync } from 'node:child_process';
import { ulid } from 'ulid';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { parsePrometheusText, select, total, type Scrape } from './support/prometheus-text';
import { ROOT, ServiceProcess } from './support/service.process';
import { CUSTOMER, CUSTOMER_ADMIN, DEMO_ROLE, E2eStack, OIDC_ROLE, PLATFORM_KEY, WORKER_ID, WORKER_POOL } from './support/stack.harness';

// What an operator sees (issue 15): every service of the real stack (processes of the build) with
// the standard OTEL_* variables pointing at an OTLP receiver in this process, `LOG_FORMAT=json`,
// and `/metrics` scraped as Prometheus does. Runs are made by `runtrail exec --publish-phases`
// through the runs API, as a scheduler would.
let stack: E2eStack;
let receiver: OtlpReceiver;
const startService = ServiceProcess.start.bind(ServiceProcess);
const runs: Array<{ runId: string; traced: boolean }> = [];
const READER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`;
const scrapes: string[] = [];

/** The variables an operator sets to send telemetry to a collector (batches flushed quickly for the test). */
function otelEnv(): Record<string, string> {
  return {
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  };
}

async function scrape(service: ServiceProcess): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${service.port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
  const text = await response.text();
  scrapes.push(text);
  return parsePrometheusText(text);
}

function service(name: string): ServiceProcess {
  const found = [...stack.services, ...stack.brokers].find((s) => s.name === name);
  if (!found) throw new Error(`no ${name} in the stack`);
  return found;
}

/** The one trace of run `runId`: the trace of every `run <phase>` span integrations made for it. */
async function traceOfRun(runId: string, phases: string[]): Promise<string> {
  const spans = await receiver.waitFor(`run spans of ${runId}`, () => {
    const mine = receiver.spans.filter((s) => s.attributes['runtrail.run.id'] === runId);
    return phases.every((p) => mine.some((s) => s.name === `run ${p}`)) && mine;
  });
  const traceIds = new Set(spans.map((s) => s.traceId));
  expect([...traceIds]).toHaveLength(1);
  return [...traceIds][0]!;
}

function named(spans: ReceivedSpan[], service: string, pattern: RegExp): ReceivedSpan[] {
  return spans.filter((s) => s.service === service && pattern.test(s.name));
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  receiver = await OtlpReceiver.start();
  // Every service the harness starts gets the collector's variables, as compose's and the
  // manifests' OTEL_EXPORTER_OTLP_ENDPOINT gives them (the harness itself turns telemetry off).
  ServiceProcess.start = (app, port, env) => startService(app, port, { ...env, ...otelEnv(), LOG_FORMAT: 'json' });
  stack = await E2eStack.start({ integrations: 'real', audit: true });
}, 180_000);

afterAll(async () => {
  ServiceProcess.start = startService;
  await stack?.stop();
  await receiver?.stop();
});

describe('one trace per run', () => {
  it('a traced runtrail exec: its phases, resolve, both STS calls (with the role ARN) and deliveries are one trace across services', async () => {
    const { callerId, slug } = await stack.register(['platform'], 'traced');
    const runId = ulid();
    runs.push({ runId, traced: true });
    // As execRun does, with the OTEL_* variables: runtrail exec traces and sends its traceparent.
    const result = await stack.exec(
      [
        ...['--run', runId, '--worker', WORKER_ID, '--publish-phases', '--account', 'acme'],
        ...['--stack', callerId, '--caller-slug', slug, '--run-type', 'TRACKED', '--timeout', '20'],
        ...['--', 'sh', '-c', 'echo done'],
      ],
      otelEnv(),
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('APPLYING') });

    const traceId = await traceOfRun(runId, ['INITIALIZING', 'PLANNING', 'APPLYING', 'FINISHED']);
    const spans = await receiver.waitFor('the whole run in its trace', () => {
      const t = receiver.trace(traceId);
      const deliveries = named(t, 'runtrail-credential-broker', new RegExp(`^deliveries\\.v1\\.[^.]+\\.${runId} publish$`));
      const issued = named(t, 'runtrail-credential-broker', /^credentials\.v1\.issued publish$/);
      const consumed = named(t, 'runtrail-credential-broker', new RegExp(`^runs\\.v1\\.phase\\.${runId} process$`));
      const published = named(t, 'runtrail-integrations', new RegExp(`^runs\\.v1\\.phase\\.${runId} publish$`));
      // integrations ends a phase request's span when its answer is sent, and publishes the phase from
      // the outbox meanwhile: the publish span does not vouch for the request's.
      const requests = named(t, 'runtrail-integrations', /^POST/);
      return deliveries.length === 2 && issued.length === 2 && consumed.length === 5 && published.length === 5 && requests.length === 5 && t;
    });

    // Started by runtrail exec, the scheduler here, which sent its traceparent to the runs API.
    const root = spans.filter((s) => !s.parentSpanId);
    expect(root.map((s) => [s.service, s.name])).toEqual([['runtrail-exec', 'runtrail exec']]);
    const requests = named(spans, 'runtrail-integrations', /^POST/);
    expect(requests.map((s) => s.attributes['http.route'])).toEqual(['/v1/runs', ...Array(4).fill('/v1/runs/:runId/phases')]);
    expect(requests.every((s) => s.parentSpanId === root[0]!.spanId)).toBe(true);
    expect(named(spans, 'runtrail-integrations', new RegExp(`^runs\\.v1\\.phase\\.${runId} publish$`))).toHaveLength(5);
    expect(named(spans, 'runtrail-credential-broker', new RegExp(`^runs\\.v1\\.phase\\.${runId} process$`))).toHaveLength(5);
    expect(named(spans, 'runtrail-integrations', /^integrations\.v1\.resolve process$/)).toHaveLength(2);

    const sts = spans.filter((s) => s.service === 'runtrail-credential-broker' && s.attributes['rpc.service'] === 'STS');
    expect(sts.map((s) => [s.attributes['rpc.method'], s.attributes['aws.sts.role_arn']])).toEqual([
      ['AssumeRole', DEMO_ROLE],
      ['AssumeRole', DEMO_ROLE],
    ]);
    expect(sts.every((s) => String(s.attributes['aws.sts.role_session_name']).startsWith(runId))).toBe(true);

    // Logs lead to the trace: the broker's JSON line about the delivery carries its trace id.
    const lines = service('credential-broker').text.split('\n').filter((l) => l.startsWith('{'));
    const delivered = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l['message']).includes(`run ${runId} PLANNING: delivered`));
    expect(delivered).toEqual([expect.objectContaining({ trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) })]);
  });

  it('a scheduler that sends no traceparent: the run still has one trace, started by POST /v1/runs, with OIDC issuance in it', async () => {
    const { callerId, slug } = await stack.register(['oidc'], 'untraced');
    for (let i = 0; i < 2; i++) {
      const runId = ulid();
      runs.push({ runId, traced: false });
      // exec without OTEL_* (the harness gives it none): it neither exports nor sends a traceparent.
      const result = await stack.execRun({ runId, callerId, slug, runType: 'TASK' }, ['sh', '-c', 'echo done']);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('PERFORMING') });
      const traceId = await traceOfRun(runId, ['INITIALIZING', 'PERFORMING', 'FINISHED']);
      // Each process exports its spans in its own batches: oidc-issuer's batch span often reaches
      // the collector after the broker's credentials.v1.issued, which it precedes. So wait until
      // every span asserted below is in, then assert on that one view of the trace.
      const spans = await receiver.waitFor('the OIDC run in its trace (POST /v1/runs, oidc-issuer\'s batch, STS, delivery, issued)', () => {
        const t = receiver.trace(traceId);
        const present = [
          t.some((s) => !s.parentSpanId),
          named(t, 'runtrail-oidc-issuer', /^oidc\.v1\.issue\.batch process$/).length > 0,
          t.some((s) => s.attributes['rpc.service'] === 'STS'),
          named(t, 'runtrail-credential-broker', new RegExp(`^deliveries\\.v1\\.[^.]+\\.${runId} publish$`)).length > 0,
          named(t, 'runtrail-credential-broker', /^credentials\.v1\.issued publish$/).length > 0,
        ];
        return present.every(Boolean) && t;
      });
      const root = spans.filter((s) => !s.parentSpanId);
      expect(root.map((s) => [s.service, s.name, s.attributes['http.route']])).toEqual([
        ['runtrail-integrations', 'POST /v1/runs', '/v1/runs'],
      ]);
      expect(spans.some((s) => s.service === 'runtrail-exec')).toBe(false);
      // Each later phase's request is a trace of its own, linked from the run's phase span.
      const phaseSpans = spans.filter((s) => s.name.startsWith('run ') && s.attributes['runtrail.run.id'] === runId);
      expect(phaseSpans.every((s) => s.links.length === 1 && s.links[0]!.traceId !== traceId)).toBe(true);
      // The broker asks through oidc.v1.issue.batch: a lone issuance's batch carries its run's trace.
      expect(named(spans, 'runtrail-oidc-issuer', /^oidc\.v1\.issue\.batch process$/)).toHaveLength(1);
      const sts = spans.filter((s) => s.attributes['rpc.service'] === 'STS');
      expect(sts.map((s) => [s.service, s.attributes['rpc.method'], s.attributes['aws.sts.role_arn']])).toEqual([
        ['runtrail-credential-broker', 'AssumeRoleWithWebIdentity', OIDC_ROLE],
      ]);
      expect(named(spans, 'runtrail-credential-broker', new RegExp(`^deliveries\\.v1\\.[^.]+\\.${runId} publish$`))).toHaveLength(1);
      expect(named(spans, 'runtrail-credential-broker', /^credentials\.v1\.issued publish$/)).toHaveLength(1);
    }
  });

  it("a refresh the worker asks for is in the run's trace too, with its STS call", async () => {
    const { callerId, slug } = await stack.register(['platform'], 'refreshed');
    const runId = ulid();
    runs.push({ runId, traced: false });
    // 900 s sessions refreshed 898 s before expiry: exec asks credentials.v1.refresh after ~2 s.
    const result = await stack.exec([
      ...['--run', runId, '--worker', WORKER_ID, '--publish-phases', '--account', 'acme'],
      ...['--stack', callerId, '--caller-slug', slug, '--run-type', 'TASK', '--refresh-lead', '898', '--timeout', '20'],
      ...['--', 'sleep', '5'],
    ]);
    expect(result.code).toBe(0);
    const traceId = await traceOfRun(runId, ['INITIALIZING', 'PERFORMING', 'FINISHED']);
    const spans = await receiver.waitFor('the refresh in the run trace', () => {
      const t = receiver.trace(traceId);
      return named(t, 'runtrail-credential-broker', /^credentials\.v1\.refresh process$/).length > 0 && t;
    });
    const sts = spans.filter((s) => s.attributes['rpc.service'] === 'STS');
    expect(sts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sts.map((s) => s.attributes['aws.sts.role_arn']))).toEqual(new Set([DEMO_ROLE]));
    const refresh = named(spans, 'runtrail-credential-broker', /^credentials\.v1\.refresh process$/)[0]!;
    expect(sts.some((s) => s.parentSpanId === refresh.spanId)).toBe(true);
    const broker = await scrape(service('credential-broker'));
    expect(total(broker, 'runtrail_credentials_refreshes_total', { runtrail_outcome: 'refreshed' })).toBeGreaterThanOrEqual(1);
  });
});

describe('metrics', () => {
  it("/metrics of the broker counts what was issued, by mode and outcome, with histogram buckets that add up", async () => {
    const issued = (await stack.streamMessages('CREDENTIALS', 'credentials.v1.issued'))
      .map((m) => JSON.parse(m.data) as { mode: string; refresh: number })
      .filter((e) => e.refresh === 0);
    const broker = await scrape(service('credential-broker'));
    expect(broker.types.get('runtrail_credentials_issuance_duration')).toBe('histogram');
    for (const mode of ['platform', 'oidc']) {
      const labels = { runtrail_mode: mode, runtrail_outcome: 'delivered' };
      const count = total(broker, 'runtrail_credentials_issuance_duration_count', labels);
      expect(count).toBe(issued.filter((e) => e.mode === mode).length);
      const buckets = select(broker, 'runtrail_credentials_issuance_duration_bucket', labels).map((s) => s.value);
      expect(buckets.length).toBeGreaterThan(5);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
      expect(buckets.at(-1)).toBe(count);
      expect(select(broker, 'runtrail_credentials_issuance_duration_bucket', { ...labels, le: '+Inf' })[0]?.value).toBe(count);
      expect(total(broker, 'runtrail_credentials_issuance_duration_sum', labels)).toBeGreaterThan(0);
    }
    expect(total(broker, 'runtrail_credentials_issuance_duration_count', { runtrail_outcome: 'failed' })).toBe(0);
    // The broker's durable consumer on RUNS, read from JetStream at the scrape: everything consumed.
    expect(select(broker, 'runtrail_jetstream_consumer_pending', { messaging_destination_name: 'RUNS' })).toEqual([
      expect.objectContaining({ value: 0 }),
    ]);

    const integrations = await scrape(service('integrations'));
    const created = { http_request_method: 'POST', http_route: '/v1/runs', http_response_status_code: '201' };
    expect(total(integrations, 'http_server_request_duration_count', created)).toBe(runs.length);
    expect(total(integrations, 'http_server_request_duration_count', { http_route: '/v1/runs/:runId/phases' })).toBeGreaterThanOrEqual(runs.length * 3);

    const verifier = await scrape(service('verifier'));
    expect(total(verifier, 'runtrail_verifier_checks_total')).toBeGreaterThan(0);
    expect(new Set(select(verifier, 'runtrail_verifier_checks_total').map((s) => s.labels['runtrail_check'])).size).toBeGreaterThan(1);

    // No label holds an id of a run, key or integration (ULIDs), whatever the service.
    for (const s of [...broker.samples, ...integrations.samples, ...verifier.samples])
      for (const value of Object.values(s.labels)) expect(value).not.toMatch(/[0-9A-HJKMNP-TV-Z]{26}/);
  });

  it('the same metrics are exported over OTLP', async () => {
    const names = await receiver.waitFor('the broker metrics over OTLP', () => {
      const got = receiver.metricNames.get('runtrail-credential-broker');
      return got?.has('runtrail.credentials.issuance.duration') && got;
    });
    expect(names.has('runtrail.jetstream.consumer.pending')).toBe(true);
    expect(receiver.metricNames.get('runtrail-integrations')?.has('http.server.request.duration')).toBe(true);
  });
});

describe('audit', () => {
  it("a trail source: its reader's STS and CloudTrail calls are spans with the reader role, its lag and the events it ingested are on audit's /metrics", async () => {
    const adminKey = await stack.api.createApiKey('e2e-observability-admin', 'admin');
    const created = await fetch(`${stack.auditUrl}/v1/audit/trail-sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ awsAccountId: CUSTOMER, regions: ['us-east-1'], roleArn: READER_ROLE }),
    });
    expect(created.status).toBe(201);

    const source = { cloud_account_id: CUSTOMER, cloud_region: 'us-east-1', runtrail_source: 'lookup-events' };
    let audit: Scrape | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      audit = await scrape(service('audit'));
      if (select(audit, 'runtrail_audit_trail_source_lag', source).length && total(audit, 'runtrail_audit_events_ingested_total', { runtrail_source: 'lookup' }) > 0) break;
    }
    const [lag] = select(audit!, 'runtrail_audit_trail_source_lag', source);
    expect(lag?.value).toBeGreaterThanOrEqual(0);
    expect(lag?.value).toBeLessThan(60);
    // The runs above made AssumeRole calls in the customer's account: audit read them from its CloudTrail.
    expect(total(audit!, 'runtrail_audit_events_ingested_total', { runtrail_source: 'lookup' })).toBeGreaterThan(0);
    expect(select(audit!, 'runtrail_jetstream_consumer_pending', { messaging_consumer_group_name: 'audit-runs' })).toHaveLength(1);

    const calls = await receiver.waitFor("the reader's AWS calls", () => {
      const mine = receiver.spans.filter((s) => s.service === 'runtrail-audit' && s.attributes['rpc.service']);
      return mine.some((s) => s.attributes['rpc.service'] === 'CloudTrail') && mine;
    });
    expect(calls.filter((s) => s.attributes['rpc.method'] === 'AssumeRole').map((s) => s.attributes['aws.sts.role_arn'])).toContain(READER_ROLE);
    expect(calls.filter((s) => s.attributes['rpc.service'] === 'CloudTrail').map((s) => s.attributes['rpc.method'])).toContain('LookupEvents');
  });
});

describe('secrets', () => {
  it('no secret key, session token, API key, password or token in any span, metric or log line', async () => {
    const sessions = stack.issuedSessions();
    expect(sessions.length).toBeGreaterThanOrEqual(runs.length);
    const secrets = [
      ...sessions.flatMap((s) => [s.secretAccessKey, s.sessionToken]),
      PLATFORM_KEY.secretAccessKey,
      CUSTOMER_ADMIN.secretAccessKey,
      ...['integrations', 'credential-broker', 'verifier', 'oidc-issuer', WORKER_POOL].map((u) => stack.nats.login(u).NATS_PASSWORD),
    ];
    const logs = [...stack.services, ...stack.brokers, stack.issuer].map((s) => s.text);
    const everything = [...receiver.bodies, ...scrapes, ...logs].join('\n');
    expect(receiver.bodies.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(everything.includes(secret)).toBe(false);
    // Nor a bearer API key, a JWT (OIDC tokens) or a SigV4 signature, in any form.
    expect(everything).not.toMatch(/Bearer [A-Za-z0-9_-]{10,}|rtk\.[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}|eyJ[A-Za-z0-9_-]{10,}\.eyJ|Signature=[0-9a-f]{64}/);
    const headerAttributes = receiver.spans.flatMap((s) => Object.keys(s.attributes)).filter((k) => /header|authorization|credential|token/i.test(k));
    expect(headerAttributes).toEqual([]);
  });
});
