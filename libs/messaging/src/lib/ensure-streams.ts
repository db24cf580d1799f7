import { jetstreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { STREAMS, type StreamSpec } from '@runtrail/contracts';

function configOf(spec: StreamSpec, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: spec.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(spec.maxAgeSeconds * 1000),
    duplicate_window: nanos(spec.duplicateWindowSeconds * 1000),
    num_replicas: replicas,
  };
}

/**
 * Creates or updates runtrail's streams so that every replica can call it at start in any order.
 * `replicas` is 1 on a single server and 3 on a production cluster.
 */
export async function ensureStreams(
  nc: NatsConnection,
  specs: StreamSpec[] = Object.values(STREAMS),
  replicas = 1,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const spec of specs) {
    const config = configOf(spec, replicas);
    try {
      await jsm.streams.info(spec.name);
      await jsm.streams.update(spec.name, config);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await jsm.streams.add(config);
      } catch (addError) {
        // Another replica created it between our info and add.
        if (!/already in use|already exists/i.test(String(addError))) throw addError;
      }
    }
  }
}

function isNotFound(error: unknown): boolean {
  return /not found/i.test(error instanceof Error ? error.message : String(error));
}
