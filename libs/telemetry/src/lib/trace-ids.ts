import { isSpanContextValid, trace } from '@opentelemetry/api';

/** The `trace_id` and `span_id` of the active span (for log lines), or nothing outside a span. */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}
