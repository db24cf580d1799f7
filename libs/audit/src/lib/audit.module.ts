import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import type { AuditEnv } from './audit.env';
import { auditPersistence } from './audit.persistence';

@Module({})
export class AuditModule {
  static forRoot(env: AuditEnv): DynamicModule {
    return {
      module: AuditModule,
      imports: [PersistenceModule.forService({ ...auditPersistence, databaseUrl: env.DATABASE_URL })],
    };
  }
}
