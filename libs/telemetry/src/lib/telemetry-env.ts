/** Whether the variable is set to `true` (any case). */
export function flag(name: string): boolean {
  return /^true$/i.test(process.env[name]?.trim() ?? '');
}

/** Whether an OTLP endpoint is configured for the signal (its own variable or the common one). */
export function otlpConfigured(signal: 'TRACES' | 'METRICS'): boolean {
  return !!(process.env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim() || process.env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim());
}
