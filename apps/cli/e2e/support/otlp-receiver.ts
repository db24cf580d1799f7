import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A span as the OTLP/HTTP JSON encoding carries it, with its service's name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string }>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
type OtlpAttributes = Array<{ key: string; value: OtlpValue }> | undefined;

function attributesOf(list: OtlpAttributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? [])
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue ?? '';
  return out;
}

/**
 * An OpenTelemetry collector's front door in the test process: OTLP/HTTP with JSON bodies
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) on `/v1/traces` and `/v1/metrics`. Keeps every raw
 * body (for secret scans) and the spans, decoded.
 */
export class OtlpReceiver {
  readonly bodies: string[] = [];
  readonly spans: ReceivedSpan[] = [];
  /** Metric names per service, as exported over OTLP. */
  readonly metricNames = new Map<string, Set<string>>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        const body = raw.toString('utf8');
        receiver.bodies.push(body);
        if (!String(req.headers['content-type']).includes('json')) {
          res.writeHead(415).end();
          return;
        }
        if (req.url === '/v1/traces') receiver.takeSpans(JSON.parse(body));
        if (req.url === '/v1/metrics') receiver.takeMetrics(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** `OTEL_EXPORTER_OTLP_ENDPOINT` of the processes that export here. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every span of trace `traceId`. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** Waits until `found()` returns something truthy (spans are exported in batches). */
  async waitFor<T>(what: string, found: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = found();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms (${this.spans.length} spans received)`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private takeSpans(body: {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttributes };
      scopeSpans?: Array<{
        spans?: Array<{
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind: number;
          attributes?: OtlpAttributes;
          links?: Array<{ traceId: string; spanId: string }>;
        }>;
      }>;
    }>;
  }): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          this.spans.push({
            service,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: s.kind,
            attributes: attributesOf(s.attributes),
            links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          });
    }
  }

  private takeMetrics(body: {
    resourceMetrics?: Array<{
      resource?: { attributes?: OtlpAttributes };
      scopeMetrics?: Array<{ metrics?: Array<{ name: string }> }>;
    }>;
  }): void {
    for (const rm of body.resourceMetrics ?? []) {
      const service = String(attributesOf(rm.resource?.attributes)['service.name'] ?? '');
      const names = this.metricNames.get(service) ?? new Set<string>();
      for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) names.add(m.name);
      this.metricNames.set(service, names);
    }
  }
}
