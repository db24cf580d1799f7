import { Logger, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { MikroOrmModule, getMikroORMToken, type MikroOrmModuleOptions } from '@mikro-orm/nestjs';
import type { MikroORM } from '@mikro-orm/core';
import { databaseOptionsFor, type DatabaseOptionsInput } from './database-options';
import { redactDatabaseUrl } from './database-url';
import { DatabaseHealth, databaseHealthToken } from './database-health';
import { runMigrations } from './run-migrations';

export interface PersistenceModuleOptions extends DatabaseOptionsInput {
  /** apply pending migrations before the application starts (default true) */
  migrateOnStart?: boolean;
}

const migrationsToken = (service: string) => `${service}_PersistenceMigrations`;

/**
 * One MikroORM per service, named after it, so several services (the `standalone` app runs all
 * five) share a process without sharing an ORM, an identity map or a table.
 */
@Module({})
export class PersistenceModule {
  /**
   * Registers the ORM of `options.service` (context name = service name, no HTTP request-context
   * middleware), repositories for `options.entities`, and a {@link DatabaseHealth}. Inject them with
   * `@InjectRepository(Entity, service)`, `@InjectEntityManager(service)`, `@InjectMikroORM(service)`
   * and `@InjectDatabaseHealth(service)`; the module is global, so any module of the app can.
   *
   * With `migrateOnStart` (default) pending migrations are applied while the app is being created,
   * before any `onModuleInit` hook can touch a table.
   */
  static forService(options: PersistenceModuleOptions): DynamicModule {
    const { service, migrateOnStart = true } = options;
    const logger = new Logger(`Persistence:${service}`);
    const ormToken = getMikroORMToken(service);
    const repositories = MikroOrmModule.forFeature(options.entities, service);
    const migrations: Provider = {
      provide: migrationsToken(service),
      inject: [ormToken],
      useFactory: async (orm: MikroORM) => {
        if (!migrateOnStart) return [];
        const applied = await runMigrations(orm);
        if (applied.length) logger.log(`applied ${applied.length} migration(s): ${applied.join(', ')}`);
        return applied;
      },
    };
    const health: Provider = {
      provide: databaseHealthToken(service),
      // depending on the migrations provider makes "healthy" mean "migrated" too
      inject: [ormToken, migrationsToken(service)],
      useFactory: (orm: MikroORM) => new DatabaseHealth(orm, service),
    };
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        MikroOrmModule.forRootAsync({
          contextName: service,
          useFactory: (): MikroOrmModuleOptions => {
            const ormOptions = databaseOptionsFor(options);
            const where = ormOptions.clientUrl ? redactDatabaseUrl(ormOptions.clientUrl) : ormOptions.dbName;
            logger.log(`database: ${where}${ormOptions.schema ? ` (schema ${ormOptions.schema})` : ''}`);
            return { ...ormOptions, registerRequestContext: false };
          },
        }),
        repositories,
      ],
      providers: [migrations, health],
      exports: [repositories, databaseHealthToken(service)],
    };
  }
}
