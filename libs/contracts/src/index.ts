export * from './lib/errors';
export * from './lib/validate';
export * from './lib/primitives';
export * from './lib/define';
export * from './lib/streams';
export * from './lib/dead-letter';

export * from './runs/run-phase-changed.event';

export * from './integrations/integration.schema';
export * from './integrations/integration-changed.event';
export * from './integrations/attachment-changed.event';
export * from './integrations/integration-health-changed.event';
export * from './integrations/integration-event';
export * from './integrations/admin-event.event';
export * from './integrations/resolve-integrations.request';
export * from './integrations/authenticate-api-key.request';
export * from './integrations/api-key.format';

export * from './verifier/verify-role.request';
export * from './oidc/issue-token.request';
export * from './oidc/issue-token-batch.request';

export * from './credentials/issuance.schema';
export * from './credentials/credentials-issued.event';
export * from './credentials/credentials-failed.event';
export * from './credentials/credentials-refresh.request';

export * from './deliveries/delivery.event';
export * from './deliveries/delivery-failed.event';
export * from './deliveries/worker-consumer';

export * from './audit/finding-raised.event';
export * from './audit/cloudtrail-pushed.event';
export * from './audit/audit-query.views';
export * from './audit/trail-source.views';
