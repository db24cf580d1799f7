import { AdminEventRecorded, type AdminEvent } from '@runtrail/contracts';
import { describeEachDatabase, freePort, startNatsServer, type RunningNatsServer } from '@runtrail/testing';
import { ulid } from 'ulid';
import { AuditApp, eventually } from '../../spec/audit-app.harness';
import { AuditDb } from '../storage/audit-db';
import { storeAdminEvent } from './store-admin-event';

type Page = { items: AdminEvent[]; nextCursor: string | null };
type Problem = { code: string; issues: Array<{ path: string }> };

const ADMIN_KEY = ulid();
const DEV_KEY = ulid();

/** An admin event as integrations would publish it, `minutes` after 10:00 on 1 Nov. */
function event(minutes: number, fields: Partial<AdminEvent> & Pick<AdminEvent, 'action' | 'target' | 'spaceId'>): AdminEvent {
  return {
    id: ulid(),
    account: 'acme',
    actor: { keyId: ADMIN_KEY, role: 'admin' },
    at: new Date(Date.UTC(2026, 10, 1, 10, minutes)).toISOString(),
    ...fields,
  };
}

const account = event(0, { action: 'account.created', actor: { bootstrap: true }, target: { type: 'account', id: 'acme', name: 'acme' }, spaceId: null });
const key = event(1, { action: 'api_key.created', target: { type: 'api_key', id: DEV_KEY, name: 'dev-admin' }, spaceId: null });
const callerId = ulid();
const caller = event(2, { action: 'caller.registered', actor: { keyId: DEV_KEY, role: 'admin' }, target: { type: 'caller', id: callerId, name: 'app' }, spaceId: 'dev' });
const prod = event(3, { action: 'integration.created', target: { type: 'integration', id: ulid(), name: 'prod-deploy' }, spaceId: 'prod' });
const attached = event(4, {
  action: 'attachment.created', actor: { keyId: DEV_KEY, role: 'admin' }, target: { type: 'attachment', id: ulid(), name: 'app' }, spaceId: 'dev', autoattachLabel: 'deploy',
});
const renamed = event(5, { action: 'caller.updated', target: { type: 'caller', id: callerId, name: 'app' }, spaceId: 'dev', changes: ['labels'] });
const globex = event(6, { account: 'globex', action: 'integration.created', target: { type: 'integration', id: ulid() }, spaceId: 'dev' });
const ACME = [account, key, caller, prod, attached, renamed];

// The admin log: integrations.v1.admin.* consumed on its durable, stored once, served scoped.
describeEachDatabase('audit: admin events', (db) => {
  let nats: RunningNatsServer;
  let audit: AuditApp;
  let acme: string;
  let acmeDev: string;
  let other: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    audit = await AuditApp.start({ natsUrl: nats.url, port: await freePort(), vars: { DATABASE_URL: db.databaseUrl } });
    acme = audit.addKey({ account: 'acme', role: 'reader', spaceSubtree: null, visibleSpaces: null });
    acmeDev = audit.addKey({ account: 'acme', role: 'admin', spaceSubtree: 'dev', visibleSpaces: ['dev'] });
    other = audit.addKey({ account: 'globex', role: 'admin', spaceSubtree: null, visibleSpaces: null });
    for (const e of [...ACME, globex]) await audit.bus.publish(AdminEventRecorded, e);
  });
  afterAll(async () => {
    await audit?.close();
    await nats?.stop();
  });

  const list = (query: string, token = acme) => audit.get<Page>(`/v1/audit/admin-events${query}`, token);
  const ids = (page: { body: Page }) => page.body.items.map((e) => e.id);
  const newestFirst = (events: AdminEvent[]) => [...events].reverse().map((e) => e.id);

  it('stores each event from integrations.v1.admin.* once, redelivered or not', async () => {
    const all = await eventually(async () => {
      const page = await list('');
      return page.body.items.length === ACME.length ? page : undefined;
    });
    expect(all.body.items).toEqual([...ACME].reverse());
    const store = audit.app.get(AuditDb);
    await storeAdminEvent(store, caller); // a redelivery after a lost ack
    await storeAdminEvent(store, { ...caller, action: 'caller.removed' }); // same id: the first record stands
    const rows = await store.all(`select "action" from "admin_event" where "id" = ?`, [caller.id]);
    expect(rows.map((r) => r['action'])).toEqual(['caller.registered']);
  });

  it('filters by action, actor, target and time, and pages with a cursor', async () => {
    expect(ids(await list('?action=caller.registered'))).toEqual([caller.id]);
    expect(ids(await list(`?actorKeyId=${DEV_KEY}`))).toEqual(newestFirst([caller, attached]));
    expect(ids(await list(`?targetType=caller&targetId=${callerId}`))).toEqual(newestFirst([caller, renamed]));
    expect(ids(await list('?targetType=api_key'))).toEqual([key.id]);
    expect(ids(await list(`?from=${caller.at}&to=${attached.at}`))).toEqual(newestFirst([caller, prod]));
    const first = await list('?limit=4');
    expect(ids(first)).toEqual(newestFirst(ACME).slice(0, 4));
    expect(first.headers.get('x-next-cursor')).toBe(first.body.nextCursor);
    const second = await list(`?limit=4&cursor=${first.body.nextCursor}`);
    expect(ids(second)).toEqual(newestFirst(ACME).slice(4));
    expect(second.body.nextCursor).toBeNull();
    const csv = await list(`?format=csv&targetId=${callerId}`);
    expect(csv.text.split('\r\n')[0]).toBe('at,id,action,actor,target,spaceId,changes,autoattachLabel');
  });

  it('shows a key only its account, and a space-limited key only its spaces, never account-level changes', async () => {
    expect(ids(await list('', acmeDev))).toEqual(newestFirst([caller, attached, renamed]));
    expect(ids(await list('?targetType=account', acmeDev))).toEqual([]);
    expect(ids(await list(`?actorKeyId=${ADMIN_KEY}`, acmeDev))).toEqual([renamed.id]);
    expect(ids(await list('', other))).toEqual([globex.id]);
    expect(ids(await list(`?targetId=${prod.target.id}`, other))).toEqual([]);
  });

  it('answers a bad query with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['?action=caller.deleted', 'action'],
      ['?actorKeyId=not-a-key', 'actorKeyId'],
      ['?targetType=stack', 'targetType'],
      ['?from=yesterday', 'from'],
      ['?limit=0', 'limit'],
      ['?since=2026-11-01T00:00:00Z', 'since'],
    ] as const) {
      const bad = await audit.get<Problem>(`/v1/audit/admin-events${query}`, acme);
      expect([bad.status, bad.body.code, bad.body.issues.map((i) => i.path)]).toEqual([400, 'VALIDATION_FAILED', [field]]);
    }
    expect((await audit.get('/v1/audit/admin-events', null)).status).toBe(401);
  });
});
