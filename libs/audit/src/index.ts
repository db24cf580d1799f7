export { AuditModule } from './lib/audit.module';
export { auditEnv, type AuditEnv } from './lib/audit.env';
