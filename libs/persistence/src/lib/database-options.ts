import {
  ReferenceKind,
  ReflectMetadataProvider,
  type AnyEntity,
  type EntityClass,
  type EntitySchema,
  type MetadataStorage,
  type MigrationObject,
  type Options,
} from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver, type AbstractSqlDriver } from '@mikro-orm/postgresql';
import { resolveDatabaseTarget, schemaNameFor, type DatabaseTarget } from './database-url';
import { assertMigrationsPaired } from './migration-list';

/** An entity class (decorated) or an `EntitySchema`/`defineEntity` result. */
export type PersistedEntity = EntityClass<AnyEntity> | EntitySchema;

/**
 * Committed migrations of one service, one list per driver. Both lists describe the same tables;
 * SQLite uses `text`/`datetime`, PostgreSQL `uuid`/`jsonb`/`timestamptz`. Names should match
 * across the two lists (`Migration20261101120000_create_attachment`).
 */
export interface MigrationSet {
  sqlite: MigrationObject[];
  postgres: MigrationObject[];
}

/** Everything a service declares about its storage; the same object feeds Nest, tests and the generator. */
export interface PersistenceDefinition {
  /** service name (`integrations`, `credential-broker`, …): ORM context, SQLite file and PostgreSQL schema */
  service: string;
  entities: PersistedEntity[];
  migrations: MigrationSet;
}

export interface DatabaseOptionsInput extends PersistenceDefinition {
  /** usually `process.env.DATABASE_URL` (validated by libs/config); unset means SQLite under `dataDir` */
  databaseUrl?: string | undefined;
  /** folder for the default SQLite file; `./.data` when omitted */
  dataDir?: string | undefined;
}

/** MikroORM options for one service, for either driver. */
export type DatabaseOptions = Options<AbstractSqlDriver>;

/**
 * Declares a service's storage. Checks the service name and that every migration exists for both
 * drivers, so a half-committed migration fails at start-up (and in the lib's tests), not later.
 */
export function definePersistence(definition: PersistenceDefinition): PersistenceDefinition {
  schemaNameFor(definition.service);
  assertMigrationsPaired(definition.service, definition.migrations);
  return definition;
}

/**
 * MikroORM options for a service, picked by `databaseUrl` (see {@link resolveDatabaseTarget}).
 *
 * Entities are read with the default `ReflectMetadataProvider`; give every property an explicit
 * `type` because SWC's decorator metadata says `Object` for unions and optional types. Migrations
 * come from `migrations[driver]` (`migrationsList`, no folder scanning), so the same options work
 * from `dist/` and from Jest. The global EntityManager is locked (`allowGlobalContext: false`):
 * fork it, or run inside `RequestContext.create(em, …)`.
 */
export function databaseOptionsFor(input: DatabaseOptionsInput): DatabaseOptions {
  return optionsForTarget(resolveDatabaseTarget(input), input);
}

/** @internal the generator reuses this with a scratch target and PostgreSQL's default schema */
export function optionsForTarget(target: DatabaseTarget, definition: PersistenceDefinition): DatabaseOptions {
  const common: DatabaseOptions = {
    contextName: definition.service,
    entities: [...definition.entities],
    metadataProvider: ReflectMetadataProvider,
    metadataCache: { enabled: false },
    // A service may own no table yet (its database is still created, migrated and health-checked).
    discovery: { afterDiscovered: rejectUntypedProperties, warnWhenNoEntities: definition.entities.length > 0 },
    allowGlobalContext: false,
    debug: false,
    extensions: [Migrator],
    migrations: {
      migrationsList: target.driver === 'sqlite' ? definition.migrations.sqlite : definition.migrations.postgres,
      transactional: true,
      allOrNothing: true,
      // no snapshot files: the committed migrations are the only record of the schema
      snapshot: false,
      silent: true,
      emit: 'ts',
    },
  };
  if (target.driver === 'sqlite') return { ...common, driver: BetterSqliteDriver, dbName: target.path };
  return {
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: target.url,
    dbName: target.database,
    schema: target.schema,
    pool: { min: 0, max: 10 },
    // Unqualified names in migrations land in the service's schema, so one migration class serves
    // any schema; the service never resolves another service's tables by accident.
    driverOptions: {
      connection: { options: `-c search_path=${target.schema}`, application_name: `runtrail-${definition.service}` },
    },
  };
}

/**
 * When decorator metadata says only `Object` (SWC emits it for `Date | null`, unions, records) and
 * no `type` was given, MikroORM quietly maps the column as `any`. Refuse that at start-up instead.
 */
function rejectUntypedProperties(storage: MetadataStorage): void {
  const untyped = Object.values(storage.getAll()).flatMap((meta) =>
    Object.values(meta.properties)
      .filter((prop) => prop.kind === ReferenceKind.SCALAR && prop.type === 'any')
      .map((prop) => `${meta.className}.${prop.name}`),
  );
  if (untyped.length) {
    throw new Error(`give these properties an explicit type, e.g. @Property({ type: 'datetime' }): ${untyped.join(', ')}`);
  }
}
