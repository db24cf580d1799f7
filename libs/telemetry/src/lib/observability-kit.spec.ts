import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import {
  HTTP_SERVER_DURATION,
  observeGauge,
  RUNTRAIL_METRICS,
  runtrailCounter,
  runtrailHistogram,
  type RuntrailMetricName,
} from './metrics/runtrail-metrics';
import { startTestMetrics } from './test-metrics';

// The operations kit of deploy/observability and the KEDA objects of deploy/k8s, checked against
// what the services really export: the metric names come from the catalog recorded through the
// same SDK and Prometheus serializer the services use, every PromQL expression is parsed with
// Prometheus' own grammar, and the manifests are rendered with `kubectl kustomize`.
const ROOT = join(__dirname, '..', '..', '..', '..');
const KIT = join(ROOT, 'deploy', 'observability');

/** Every metric name the services serve at /metrics, as the exporter writes them. */
async function exportedNames(): Promise<Set<string>> {
  const recorded = startTestMetrics();
  try {
    const stops: Array<() => void> = [];
    for (const [key, def] of Object.entries(RUNTRAIL_METRICS) as Array<[RuntrailMetricName, (typeof RUNTRAIL_METRICS)[RuntrailMetricName]]>) {
      if (def.kind === 'counter') runtrailCounter(key).add(1);
      else if (def.kind === 'histogram') runtrailHistogram(key).record(0.2);
      else stops.push(observeGauge(key, {}, () => 1));
    }
    metrics.getMeter('http').createHistogram(HTTP_SERVER_DURATION.name, { unit: 's' }).record(0.1);
    const text = await recorded.text();
    stops.forEach((stop) => stop());
    return new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));
  } finally {
    await recorded.shutdown();
  }
}

/** Grafana's own variables, replaced by what they stand for, so the expression is plain PromQL. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');
}

/** Parses `expr` with Prometheus' grammar; returns the metric names it selects, or throws where it is wrong. */
function metricsOf(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  const errors: number[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'VectorSelector') {
        const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(node.from, node.to));
        if (name) names.push(name[0]);
      }
    },
  });
  if (errors.length) throw new Error(`PromQL does not parse at ${errors[0]}: ${expr}`);
  return names;
}

describe('metric names', () => {
  it('follow the semantic conventions: dotted lower-case names, UCUM units, bounded attributes', () => {
    for (const def of [...Object.values(RUNTRAIL_METRICS), HTTP_SERVER_DURATION]) {
      expect(def.name).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/);
      expect(def.unit).toMatch(/^(s|\{[a-z]+\})$/);
      for (const attribute of def.attributes) expect(attribute).not.toMatch(/(^|\.)(run|key|session|token|secret)(\.|_)?id$|token|secret|password/);
    }
  });

  it('are served as Prometheus text under the names the kit uses', async () => {
    const names = await exportedNames();
    expect(names).toEqual(
      new Set([
        'target_info',
        'runtrail_credentials_issuance_duration_bucket',
        'runtrail_credentials_issuance_duration_sum',
        'runtrail_credentials_issuance_duration_count',
        'runtrail_credentials_refreshes_total',
        'runtrail_sts_errors_total',
        'runtrail_verifier_checks_total',
        'runtrail_jetstream_consumer_pending',
        'runtrail_jetstream_consumer_ack_pending',
        'runtrail_jetstream_consumer_redelivered',
        'runtrail_messaging_dead_lettered_total',
        'runtrail_audit_trail_source_lag',
        'runtrail_audit_events_ingested_total',
        'runtrail_audit_findings_total',
        'http_server_request_duration_bucket',
        'http_server_request_duration_sum',
        'http_server_request_duration_count',
      ]),
    );
  });
});

describe('deploy/observability', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await exportedNames();
  });

  it('alerts.yaml: Prometheus rule groups covering issuance, DLQ, trail-source lag, consumer lag and verification drift', () => {
    const rules = parseYaml(readFileSync(join(KIT, 'alerts.yaml'), 'utf8')) as {
      groups: Array<{ name: string; rules: Array<Record<string, unknown>> }>;
    };
    expect(rules.groups.length).toBeGreaterThan(0);
    const alerts = rules.groups.flatMap((g) => {
      expect(g.name).toMatch(/^runtrail-/);
      return g.rules;
    });
    for (const rule of alerts) {
      expect(Object.keys(rule).every((k) => ['alert', 'expr', 'for', 'labels', 'annotations'].includes(k))).toBe(true);
      expect(rule['alert']).toMatch(/^Runtrail[A-Za-z]+$/);
      if (rule['for'] !== undefined) expect(rule['for']).toMatch(/^\d+[smh]$/);
      expect(rule['labels']).toEqual({ severity: expect.stringMatching(/^(critical|warning|info)$/) });
      expect(rule['annotations']).toEqual({ summary: expect.any(String), description: expect.any(String) });
      const used = metricsOf(String(rule['expr']));
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) expect({ alert: rule['alert'], name, exported: exported.has(name) }).toEqual({ alert: rule['alert'], name, exported: true });
    }
    const names = alerts.map((r) => r['alert']);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'RuntrailIssuanceFailures',
        'RuntrailDeadLetters',
        'RuntrailTrailSourceLag',
        'RuntrailConsumerLag',
        'RuntrailVerificationDrift',
      ]),
    );
  });

  it('grafana-dashboard.json: panels with unique ids and grid positions, and queries on exported metrics only', () => {
    const dashboard = JSON.parse(readFileSync(join(KIT, 'grafana-dashboard.json'), 'utf8')) as {
      uid: string;
      title: string;
      schemaVersion: number;
      templating: { list: Array<{ name: string; type: string }> };
      panels: Array<{
        id: number;
        type: string;
        title: string;
        gridPos: { h: number; w: number; x: number; y: number };
        datasource?: { type: string; uid: string };
        targets?: Array<{ refId: string; expr: string }>;
      }>;
    };
    expect(dashboard).toMatchObject({ uid: 'runtrail-overview', title: 'runtrail', schemaVersion: expect.any(Number) });
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'service']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const covered = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.title).toBeTruthy();
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(['timeseries', 'bargauge', 'stat']).toContain(panel.type);
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const target of panel.targets!) {
        for (const name of metricsOf(withoutGrafanaVariables(target.expr))) {
          expect({ panel: panel.title, name, exported: exported.has(name) }).toEqual({ panel: panel.title, name, exported: true });
          covered.add(name.replace(/_(bucket|sum|count)$/, ''));
        }
      }
    }
    // Every metric the services record has a panel.
    const families = [...exported].filter((n) => n !== 'target_info').map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect([...new Set(families)].filter((f) => !covered.has(f))).toEqual([]);
    // No two panels overlap.
    const cells = new Set<string>();
    for (const { gridPos: g } of dashboard.panels)
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
  });

  it('collector.yaml: traces and metrics pipelines that use only components it defines', () => {
    const config = parseYaml(readFileSync(join(KIT, 'collector.yaml'), 'utf8')) as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, unknown>;
      extensions: Record<string, unknown>;
      service: { extensions: string[]; pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
    };
    expect(Object.keys(config.service.pipelines).sort()).toEqual(['metrics', 'traces']);
    for (const pipeline of Object.values(config.service.pipelines)) {
      for (const r of pipeline.receivers) expect(config.receivers).toHaveProperty([r]);
      for (const p of pipeline.processors) expect(config.processors).toHaveProperty([p]);
      for (const e of pipeline.exporters) expect(config.exporters).toHaveProperty([e]);
      expect(pipeline.processors[0]).toBe('memory_limiter');
    }
    for (const x of config.service.extensions) expect(config.extensions).toHaveProperty([x]);
    expect(existsSync(join(ROOT, 'deploy', 'otel'))).toBe(false);
  });

  it('prometheus.yaml: scrapes the annotated runtrail pods and loads alerts.yaml', () => {
    const config = parseYaml(readFileSync(join(KIT, 'prometheus.yaml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; kubernetes_sd_configs: unknown[] }>;
    };
    expect(config.rule_files).toEqual(['alerts.yaml']);
    expect(config.scrape_configs.map((c) => c.job_name)).toEqual(['runtrail']);
  });
});

/** kubectl, where this machine or CI has it (.ci/run installs it). */
function kubectl(): string | null {
  for (const candidate of ['/usr/bin/kubectl', '/usr/local/bin/kubectl']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

describe('deploy/k8s', () => {
  it('renders with kubectl kustomize: KEDA ScaledObjects scale credential-broker and audit on CPU and their JetStream consumers', () => {
    const bin = kubectl();
    if (!bin) throw new Error('kubectl is not installed: .ci/run installs it (apt-get install kubernetes-client); the KEDA objects are checked by rendering deploy/k8s');
    const rendered = parseAllDocuments(execFileSync(bin, ['kustomize', join(ROOT, 'deploy', 'k8s')], { encoding: 'utf8' })).map(
      (d) => d.toJSON() as { kind: string; apiVersion: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec: Record<string, unknown> },
    );
    const deployments = rendered.filter((o) => o.kind === 'Deployment');
    const scaled = rendered.filter((o) => o.kind === 'ScaledObject');
    expect(scaled.map((o) => o.metadata.name).sort()).toEqual(['audit', 'credential-broker']);
    const durables: Record<string, string[]> = {
      'credential-broker': ['RUNS/credential-broker'],
      audit: ['AUDIT/audit-cloudtrail-push', 'CREDENTIALS/audit-credentials-issued', 'RUNS/audit-runs'],
    };
    for (const object of scaled) {
      expect(object.apiVersion).toBe('keda.sh/v1alpha1');
      expect(object.metadata.namespace).toBe('runtrail');
      const spec = object.spec as {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: Array<{ type: string; metricType?: string; metadata: Record<string, string> }>;
      };
      expect(deployments.map((d) => d.metadata.name)).toContain(spec.scaleTargetRef.name);
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(2);
      expect(spec.maxReplicaCount).toBeGreaterThan(spec.minReplicaCount);
      expect(spec.triggers.filter((t) => t.type === 'cpu')).toEqual([{ type: 'cpu', metricType: 'Utilization', metadata: { value: expect.stringMatching(/^\d+$/) } }]);
      const jetstream = spec.triggers.filter((t) => t.type === 'nats-jetstream');
      expect(jetstream.map((t) => `${t.metadata['stream']}/${t.metadata['consumer']}`).sort()).toEqual(durables[object.metadata.name]);
      for (const t of jetstream) {
        expect(t.metadata).toMatchObject({
          natsServerMonitoringEndpoint: expect.stringMatching(/^[a-z0-9.-]+:8222$/),
          account: 'RUNTRAIL',
          lagThreshold: expect.stringMatching(/^\d+$/),
        });
      }
    }
    // Each service's pods are scraped on the port they serve /metrics on.
    for (const d of deployments) {
      const template = (d.spec['template'] as { metadata: { annotations: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ containerPort: number }> }> } });
      expect(template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(template.spec.containers[0]!.ports[0]!.containerPort),
        'prometheus.io/path': '/metrics',
      });
    }
  });
});
