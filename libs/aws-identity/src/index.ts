export * from './lib/sts-limits.constants';
export * from './lib/external-id.format';
export * from './lib/role-session-name.format';
export * from './lib/source-identity.format';
export * from './lib/session-tags.format';
export * from './lib/oidc-subject.format';
export * from './lib/arn.parser';
export * from './lib/partition.endpoints';
