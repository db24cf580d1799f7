import { MikroORM } from '@mikro-orm/core';
import { databaseOptionsFor } from '@runtrail/persistence';
import { describeEachDatabase } from '@runtrail/testing';
import { integrationSnapshot } from './aws-integrations/integration.view';
import { integrationsPersistence } from './integrations.persistence';
import { Account } from './storage/account.entity';
import { AwsIntegration } from './storage/integration.entity';

// Stored data survives each migration: rows written by the first release still work after it.
describeEachDatabase('integrations migrations keep stored rows working', (db) => {
  let orm: MikroORM;

  beforeAll(async () => {
    orm = await MikroORM.init(
      databaseOptionsFor({ ...integrationsPersistence, databaseUrl: db.databaseUrl }),
    );
  });
  afterAll(() => orm?.close(true));

  it('keeps SourceIdentity on for integrations saved before it became opt-in, and leaves accounts without an OIDC audience', async () => {
    const migrator = orm.getMigrator();
    await migrator.up({ to: 'Migration20261122060632_create_integrations' });
    const connection = orm.em.getConnection();
    const yes = db.driver === 'sqlite' ? 1 : true;
    const no = db.driver === 'sqlite' ? 0 : false;
    await connection.execute(`insert into account (slug, created_at) values ('acme', ?)`, [new Date()]);
    await connection.execute(
      'insert into aws_integration (id, account, name, role_arn, duration_seconds, region, labels, space_id, mode, ' +
        'session_tagging, custom_external_id, healthy, health_reasons, last_verified_at, version, created_at) ' +
        "values (?, 'acme', 'old', 'arn:aws:iam::222222222222:role/old', 3600, null, '[]', 'root', 'platform', ?, null, ?, '[]', null, 1, ?)",
      ['01HND497T9JKR76MR3KA2CDJHP', no, yes, new Date()],
    );
    expect((await migrator.up()).map((m) => m.name)).toContain(
      'Migration20261202050000_source_identity_opt_in',
    );
    const em = orm.em.fork();
    const row = await em.findOneOrFail(AwsIntegration, { id: '01HND497T9JKR76MR3KA2CDJHP' });
    expect(integrationSnapshot(row)).toMatchObject({
      name: 'old',
      sourceIdentity: true,
      sessionTagging: false,
    });
    expect((await em.findOneOrFail(Account, { slug: 'acme' })).oidcAudience ?? null).toBeNull();
  });
});
