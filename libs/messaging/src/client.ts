// The Nest-free half of @runtrail/messaging, for processes that are not Nest apps (`runtrail exec`):
// importing it does not load Nest or rxjs (about half a second of a command's start-up).
export { MessageBus, type PublishResult } from './lib/message-bus';
export { connectNats, NATS_CONNECTION, openServerWarning, type NatsConnectionOptions } from './lib/nats-connection';
export { ConsumerHealth, PULL_EXPIRES_MS, PULL_HEARTBEAT_MS } from './lib/consumer-health';
export { retryJetStream, isLastingJetStreamError, JETSTREAM_RETRY, type RetryJetStreamOptions } from './lib/jetstream-retry';
export { awaitStreams, type AwaitStreamsOptions } from './lib/await-streams';
export { injectTraceContext, extractTraceContext } from './lib/trace-headers';
export type { ReplyEnvelope } from './lib/reply-envelope';
