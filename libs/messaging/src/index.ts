export * from './client';
export { MessagingModule, NatsHealth } from './lib/messaging.module';
export { JetStreamServer, type JetStreamServerOptions } from './lib/jetstream.server';
export { OnEvent, OnRequest, type EventHandlerOptions } from './lib/handler-options';
export { JetStreamContext, NatsRequestContext } from './lib/contexts';
export { RpcPassthroughFilter } from './lib/rpc-passthrough.filter';
