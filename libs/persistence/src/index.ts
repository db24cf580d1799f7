export * from './lib/database-url';
export {
  databaseOptionsFor,
  definePersistence,
  type DatabaseOptions,
  type DatabaseOptionsInput,
  type MigrationSet,
  type PersistedEntity,
  type PersistenceDefinition,
} from './lib/database-options';
export * from './lib/migration-list';
export * from './lib/run-migrations';
export * from './lib/generate-migrations';
export * from './lib/database-errors';
export * from './lib/database-health';
export * from './lib/persistence.module';

// One import for feature libs: the context-aware injection helpers of @mikro-orm/nestjs.
export {
  InjectEntityManager,
  InjectMikroORM,
  InjectRepository,
  getEntityManagerToken,
  getMikroORMToken,
  getRepositoryToken,
} from '@mikro-orm/nestjs';
