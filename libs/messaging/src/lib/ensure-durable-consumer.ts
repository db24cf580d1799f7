import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { EventHandlerOptions } from './handler-options';

export type ConsumerSettings = Required<Omit<EventHandlerOptions, 'deliverPolicy'>> & Pick<EventHandlerOptions, 'deliverPolicy'>;

/**
 * Creates the durable pull consumer of a handler, or updates the settings that may change on an
 * existing one (replicas of a service all call this at start, in any order).
 */
export async function ensureDurableConsumer(
  nc: NatsConnection,
  stream: string,
  filter: string,
  options: ConsumerSettings,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    filter_subject: filter,
    max_deliver: options.maxDeliver,
    ack_wait: nanos(options.ackWaitMs),
    max_ack_pending: Math.max(1000, options.concurrency * 4),
    deliver_policy: options.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
  };
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    if (!/already (exists|in use)/i.test(String(error))) throw error;
    const { durable_name: _name, filter_subject: _filter, deliver_policy: _policy, ...mutable } = config;
    await jsm.consumers.update(stream, options.durable, mutable);
  }
}
