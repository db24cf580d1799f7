import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { activeTraceIds } from '@runtrail/telemetry';

/**
 * Nest's console logger; in JSON each line also carries the `trace_id` and `span_id` of the span it
 * was written in (a NATS message's, an HTTP request's), so a log line leads to its trace.
 */
export class ServiceLogger extends ConsoleLogger {
  protected override getJsonLogObject(
    message: unknown,
    options: { context: string; logLevel: LogLevel; writeStreamType?: 'stdout' | 'stderr'; errorStack?: unknown },
  ) {
    return { ...super.getJsonLogObject(message, options), ...activeTraceIds() };
  }
}
