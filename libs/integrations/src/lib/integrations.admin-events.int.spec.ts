import { AdminEventRecorded, adminEventSchema, type AdminEvent } from '@runtrail/contracts';
import { describeEachDatabase, freePort, startNatsServer, startTestEmulator } from '@runtrail/testing';
import { BOOTSTRAP_TOKEN, DEMO_ROLE, IntegrationsApp } from '../spec/integrations-app.harness';

type Problem = { code: string };
const keyIdOf = (key: string) => key.split('.')[1] ?? '';

// The admin log's source: every admin change enqueues integrations.v1.admin.<action> in its own
// transaction, naming the key that made it and never a secret.
describeEachDatabase('integrations: admin events', (db) => {
  let api: IntegrationsApp;
  let admin: string;
  let devAdmin: string;
  const secrets: string[] = [BOOTSTRAP_TOKEN];

  beforeAll(async () => {
    api = await IntegrationsApp.start(db.databaseUrl, {
      nats: await startNatsServer(),
      emulator: await startTestEmulator(),
      ports: [await freePort(), await freePort()],
    });
    admin = await api.account('acme');
    secrets.push(admin.split('.')[2] ?? '');
  });
  afterAll(() => api?.close());

  const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, key = admin) =>
    api.call<T & Problem>(method, path, { key, body });
  /** The admin events about `targetId`, once `count` of them were published. */
  const eventsOf = async (targetId: string, count: number): Promise<AdminEvent[]> => {
    const all = await api.eventually(
      () => api.adminEvents(),
      (e) => e.filter((x) => x.data.target.id === targetId).length >= count,
    );
    return all.filter((x) => x.data.target.id === targetId).map((x) => x.data);
  };
  const byAdmin = () => ({ keyId: keyIdOf(admin), role: 'admin' });

  it('records account creation and its first key as made by the bootstrap token', async () => {
    const [created] = await eventsOf('acme', 1);
    expect(created).toMatchObject({
      account: 'acme',
      action: 'account.created',
      actor: { bootstrap: true },
      spaceId: null,
    });
    const [key] = await eventsOf(keyIdOf(admin), 1);
    expect(key).toMatchObject({
      action: 'api_key.created',
      actor: { bootstrap: true },
      target: { type: 'api_key' },
    });
    const subjects = (await api.adminEvents()).filter((e) => e.data.id === created?.id).map((e) => e.subject);
    expect(subjects).toEqual(['integrations.v1.admin.account.created']);
  });

  it('records spaces, keys and their revocation with the acting key, in the key’s space', async () => {
    expect((await call('POST', '/v1/spaces', { id: 'dev', name: 'Development' })).status).toBe(201);
    const made = await call<{ id: string; key: string }>('POST', '/v1/api-keys', {
      name: 'dev-admin',
      role: 'admin',
      spaceSubtree: 'dev',
    });
    devAdmin = made.body.key;
    secrets.push(devAdmin.split('.')[2] ?? '');
    expect((await call('DELETE', `/v1/api-keys/${made.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/v1/api-keys/${made.body.id}`)).status).toBe(204); // already revoked: no change
    expect(await eventsOf('dev', 1)).toEqual([
      expect.objectContaining({ action: 'space.created', actor: byAdmin(), spaceId: 'dev' }),
    ]);
    const keyEvents = await eventsOf(made.body.id, 2);
    expect(keyEvents.map((e) => [e.action, e.spaceId, e.target.name])).toEqual([
      ['api_key.created', 'dev', 'dev-admin'],
      ['api_key.revoked', 'dev', 'dev-admin'],
    ]);
    expect(keyEvents.every((e) => e.actor && 'keyId' in e.actor && e.actor.keyId === keyIdOf(admin))).toBe(
      true,
    );
  });

  it('records integrations, autoattach and caller changes against the key that caused them', async () => {
    devAdmin = (
      await call<{ key: string }>('POST', '/v1/api-keys', {
        name: 'dev-admin-2',
        role: 'admin',
        spaceSubtree: 'dev',
      })
    ).body.key;
    secrets.push(devAdmin.split('.')[2] ?? '');
    const integration = await call<{ id: string }>('POST', '/v1/integrations', {
      name: 'dev-deploy',
      roleArn: DEMO_ROLE,
      spaceId: 'dev',
      labels: ['autoattach:deploy'],
    });
    expect(
      (
        await call('PATCH', `/v1/integrations/${integration.body.id}`, {
          durationSeconds: 1800,
          labels: ['autoattach:deploy', 'x'],
        })
      ).status,
    ).toBe(200);
    expect((await call('POST', `/v1/integrations/${integration.body.id}/verify`)).status).toBe(200);
    // A dev-limited key registers a caller the integration autoattaches to: that key is the actor.
    const caller = await call<{ id: string }>(
      'POST',
      '/v1/callers',
      { type: 'stack', slug: 'app', spaceId: 'dev', labels: ['deploy'] },
      devAdmin,
    );
    expect(caller.status).toBe(201);
    const attachments = await call<{ items: Array<{ id: string }> }>(
      'GET',
      `/v1/attachments?callerId=${caller.body.id}`,
    );
    const attachmentId = attachments.body.items[0]?.id ?? '';
    expect((await call('PATCH', `/v1/callers/${caller.body.id}`, { labels: [] }, devAdmin)).status).toBe(200);

    const devKey = { keyId: keyIdOf(devAdmin), role: 'admin' };
    expect(
      (await eventsOf(integration.body.id, 3)).map((e) => [e.action, e.actor, e.spaceId, e.changes]),
    ).toEqual([
      ['integration.created', byAdmin(), 'dev', undefined],
      ['integration.updated', byAdmin(), 'dev', ['durationSeconds', 'labels']],
      ['integration.verified', byAdmin(), 'dev', []],
    ]);
    expect(
      (await eventsOf(attachmentId, 2)).map((e) => [e.action, e.actor, e.spaceId, e.autoattachLabel]),
    ).toEqual([
      ['attachment.created', devKey, 'dev', 'deploy'],
      ['attachment.removed', devKey, 'dev', 'deploy'],
    ]);
    expect((await eventsOf(caller.body.id, 2)).map((e) => [e.action, e.changes])).toEqual([
      ['caller.registered', undefined],
      ['caller.updated', ['labels']],
    ]);
  });

  it('records a forced delete as each attachment removed, then the integration deleted', async () => {
    const caller = await call<{ id: string }>('POST', '/v1/callers', { type: 'stack', slug: 'net' });
    const integration = await call<{ id: string }>('POST', '/v1/integrations', {
      name: 'root-net',
      roleArn: DEMO_ROLE,
    });
    const attached = await call<{ id: string }>(
      'POST',
      `/v1/integrations/${integration.body.id}/attachments`,
      {
        callerId: caller.body.id,
        write: false,
      },
    );
    expect(attached.status).toBe(201);
    expect((await call('PATCH', `/v1/attachments/${attached.body.id}`, { write: true })).status).toBe(200);
    expect((await call('DELETE', `/v1/integrations/${integration.body.id}?force=true`)).status).toBe(204);
    expect((await call('DELETE', `/v1/callers/${caller.body.id}`)).status).toBe(204);
    expect((await eventsOf(attached.body.id, 3)).map((e) => [e.action, e.changes, e.target.name])).toEqual([
      ['attachment.created', undefined, 'net'],
      ['attachment.updated', ['write'], 'net'],
      ['attachment.removed', undefined, 'net'],
    ]);
    expect((await eventsOf(integration.body.id, 2)).map((e) => e.action)).toEqual([
      'integration.created',
      'integration.deleted',
    ]);
    expect((await eventsOf(caller.body.id, 2)).map((e) => e.action)).toEqual([
      'caller.registered',
      'caller.removed',
    ]);
  });

  it('records account settings as account-level, and nothing for a refused change', async () => {
    expect((await call('PATCH', '/v1/account', { oidcAudience: 'sts.amazonaws.com' })).status).toBe(200);
    expect((await call('PATCH', '/v1/account', { oidcAudience: 'sts.amazonaws.com' }, devAdmin)).status).toBe(
      403,
    );
    expect((await call('POST', '/v1/spaces', { id: 'nowhere', name: 'x', parent: 'missing' })).status).toBe(
      400,
    );
    const settings = (await eventsOf('acme', 2)).filter((e) => e.action === 'account.settings_updated');
    expect(settings).toEqual([
      expect.objectContaining({ actor: byAdmin(), spaceId: null, changes: ['oidcAudience'] }),
    ]);
    expect((await api.adminEvents()).some((e) => e.data.target.id === 'nowhere')).toBe(false);
  });

  it('publishes only valid events, each with its id as Nats-Msg-Id, and never a secret', async () => {
    const events = await api.adminEvents();
    expect(events.length).toBeGreaterThan(15);
    for (const { subject, data } of events) {
      expect(adminEventSchema.safeParse(data).success).toBe(true);
      expect(subject).toBe(`integrations.v1.admin.${data.action}`);
    }
    const text = JSON.stringify(events);
    for (const secret of secrets) expect(text).not.toContain(secret);
    // A relay replica publishing the same row again: JetStream drops it by its Nats-Msg-Id.
    const [first] = events;
    if (first) await api.bus.publish(AdminEventRecorded, first.data);
    expect((await api.adminEvents()).length).toBe(events.length);
  });
});
