import { trace } from '@opentelemetry/api';
import { startTestTracing, type TestTracing } from '@runtrail/telemetry';
import { ServiceLogger } from './service-logger';

describe('ServiceLogger', () => {
  let tracing: TestTracing;
  let lines: string[];
  let write: jest.SpyInstance;
  beforeAll(() => {
    tracing = startTestTracing();
  });
  afterAll(() => tracing.shutdown());
  beforeEach(() => {
    lines = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => write.mockRestore());

  it('writes the trace_id and span_id of the active span into each JSON line, and none outside a span', () => {
    const logger = new ServiceLogger({ json: true, prefix: 'runtrail:test' });
    let ids = { traceId: '', spanId: '' };
    trace.getTracer('t').startActiveSpan('runs.v1.phase process', (span) => {
      ids = span.spanContext();
      logger.log('delivered', 'CredentialBroker');
      span.end();
    });
    logger.log('idle', 'CredentialBroker');
    const [inSpan, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inSpan).toMatchObject({ message: 'delivered', context: 'CredentialBroker', trace_id: ids.traceId, span_id: ids.spanId });
    expect(outside).toMatchObject({ message: 'idle' });
    expect(outside).not.toHaveProperty('trace_id');
  });
});
