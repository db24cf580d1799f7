export {
  ensureStreams,
  ensureWorkerConsumer,
  setupJetStream,
  type JetStreamSetupOptions,
  type SetupReport,
  type StreamOutcome,
} from './lib/jetstream-setup';
