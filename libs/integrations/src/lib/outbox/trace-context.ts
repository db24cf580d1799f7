import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/** The W3C `traceparent` of `ctx` (default: the active context), or null outside a sampled trace. */
export function traceparentOf(ctx: Context = context.active()): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier['traceparent'] ?? null;
}

/** The context `traceparent` names (a remote parent), or `fallback` when there is none. */
export function contextOfTraceparent(traceparent: string | null | undefined, fallback: Context = context.active()): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : fallback;
}
