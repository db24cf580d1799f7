import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// deploy/nats/auth.conf's `standalone` user runs the five services in one process: it must be able
// to do what each of them does, and nothing any of them may not.
const AUTH_CONF = join(__dirname, '../../deploy/nats/auth.conf');
const SERVICES = ['integrations', 'verifier', 'credential-broker', 'oidc-issuer', 'audit'];

interface UserPermissions {
  publish: Set<string>;
  subscribe: Set<string>;
  allowResponses: boolean;
}

/** The users of auth.conf with their allow lists (the file's own layout: one `{ user: ... }` block each). */
function users(): Map<string, UserPermissions> {
  const text = readFileSync(AUTH_CONF, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('\n');
  const quoted = (section: string) => new Set([...section.matchAll(/"([^"]+)"/g)].map((m) => m[1]!));
  const found = new Map<string, UserPermissions>();
  for (const block of text.split(/\{\s*user:\s*/).slice(1)) {
    const name = block.match(/^[\w-]+/)![0];
    const publish = block.match(/publish:\s*\{([\s\S]*?)\}/)?.[1] ?? '';
    const subscribe = block.match(/subscribe:\s*\{([\s\S]*?)\}/)?.[1] ?? '';
    found.set(name, {
      publish: quoted(publish),
      subscribe: quoted(subscribe),
      allowResponses: /allow_responses:\s*true/.test(block.split(/\n\s{6}\}/)[0]!),
    });
  }
  return found;
}

const ownInbox = (user: string, subjects: Set<string>) =>
  [...subjects].filter((s) => s !== `_INBOX_${user}.>`).sort();

describe('deploy/nats/auth.conf', () => {
  const all = users();

  it('has the five service users and the standalone user', () => {
    for (const name of [...SERVICES, 'standalone']) expect(all.has(name)).toBe(true);
  });

  it("gives standalone exactly the union of the five services' permissions, on its own inbox", () => {
    const standalone = all.get('standalone')!;
    const union = (pick: (u: UserPermissions) => Set<string>, inbox: boolean) =>
      [...new Set(SERVICES.flatMap((s) => (inbox ? ownInbox(s, pick(all.get(s)!)) : [...pick(all.get(s)!)])))].sort();

    expect([...standalone.publish].sort()).toEqual(union((u) => u.publish, false));
    expect(ownInbox('standalone', standalone.subscribe)).toEqual(union((u) => u.subscribe, true));
    expect(standalone.subscribe.has('_INBOX_standalone.>')).toBe(true);
    expect(standalone.allowResponses).toBe(true);
  });

  it('lets no service, standalone or worker pool administer a stream', () => {
    for (const [name, user] of all) {
      if (name === 'runtrail-admin' || name === 'sys') continue;
      const admin = [...user.publish].filter((s) => /^\$JS\.API\.STREAM\.(CREATE|UPDATE|DELETE|PURGE)\b|^\$JS\.API\.>$|^>$/.test(s));
      expect({ name, admin }).toEqual({ name, admin: [] });
    }
  });
});
