import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { withRetry } from '@runtrail/aws-sts';

export interface AwaitStreamsOptions {
  /** Pause between checks while a stream is missing. */
  retryMs?: number;
  log(line: string): void;
}

/**
 * Waits until every named stream exists (`$JS.API.STREAM.INFO.<stream>` only: a service never
 * creates, updates or deletes a stream). Logs once per stream why it waits, and that the
 * operator's setup step makes it.
 */
export async function awaitStreams(nc: NatsConnection, names: string[], options: AwaitStreamsOptions): Promise<void> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const told = new Set<string>();
  // The repo's one backoff, at a steady pace: the setup step or a leader election ends the wait.
  const pause = options.retryMs ?? 2_000;
  for (const name of names) {
    await withRetry({ attempts: Number.POSITIVE_INFINITY, baseDelayMs: pause, maxDelayMs: pause }, async () => {
      const problem = await jsm.streams.info(name).then(
        () => null,
        (error: unknown) =>
          /not found/i.test(String(error))
            ? `stream ${name} missing: run \`runtrail nats setup\``
            : `cannot check stream ${name}: ${(error as Error).message}`,
      );
      if (!problem) return { ok: true as const };
      if (!told.has(problem)) options.log(`${problem}; retrying until it exists`);
      told.add(problem);
      return { ok: false as const, retryable: true };
    });
  }
}
