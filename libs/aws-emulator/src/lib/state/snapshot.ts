import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseCloudTrailDate, type CloudTrailRecord } from '@runtrail/cloudtrail';
import { compilePolicy } from '../policy/compile-policy';
import type { Seed } from '../seed/seed.schema';
import type { TrailStore } from '../trail/trail-store';
import type { IamStore } from './iam-store';
import type { RoleSession, SessionStore } from './session-store';

/** What a snapshot file holds: the IAM state as a seed, live sessions and recorded events. */
export interface SnapshotFile {
  version: 1;
  savedAt: string;
  /** Key that binds session tokens; kept so tokens stay recognisable across restarts. */
  tokenKey: string;
  seed: Seed;
  sessions: (Omit<RoleSession, 'issuedAt' | 'expiration' | 'sessionPolicies'> & {
    issuedAt: string;
    expiration: string;
    sessionPolicies: string[] | null;
  })[];
  events: { accountId: string; region: string; record: CloudTrailRecord }[];
}

/** Reads a snapshot file; null when there is none yet. Throws when it exists but is unreadable. */
export function readSnapshot(path: string): SnapshotFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = JSON.parse(text) as SnapshotFile;
  if (parsed.version !== 1 || !parsed.seed || !Array.isArray(parsed.sessions))
    throw new Error(`${path} is not an aws-emulator snapshot`);
  return parsed;
}

export function restoreSnapshot(
  snapshot: SnapshotFile,
  sessions: SessionStore,
  trail: TrailStore,
  now: Date,
): void {
  for (const s of snapshot.sessions) {
    const expiration = new Date(s.expiration);
    if (expiration <= now) continue;
    sessions.restore({
      ...s,
      issuedAt: new Date(s.issuedAt),
      expiration,
      sessionPolicies: s.sessionPolicies
        ? s.sessionPolicies.map((text) => compilePolicy(text, 'session'))
        : null,
    });
  }
  for (const e of snapshot.events) {
    const time = parseCloudTrailDate(e.record.eventTime)?.getTime() ?? now.getTime();
    trail.add(e.accountId, e.region, e.record, time, 0);
  }
}

/** Writes the snapshot atomically (temp file, then rename). */
export function writeSnapshot(
  path: string,
  iam: IamStore,
  sessions: SessionStore,
  trail: TrailStore,
  now: Date,
): void {
  const snapshot: SnapshotFile = {
    version: 1,
    savedAt: now.toISOString(),
    tokenKey: sessions.tokenKey.toString('base64'),
    seed: exportSeed(iam),
    sessions: [...sessions.all()]
      .filter((s) => s.expiration > now)
      .map((s) => ({
        ...s,
        issuedAt: s.issuedAt.toISOString(),
        expiration: s.expiration.toISOString(),
        sessionPolicies: s.sessionPolicies ? s.sessionPolicies.map((p) => p.text) : null,
      })),
    events: trail
      .accounts()
      .flatMap((accountId) =>
        trail.all(accountId).map((e) => ({ accountId, region: e.region, record: e.record })),
      ),
  };
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(snapshot));
  renameSync(temp, path);
}

function exportSeed(iam: IamStore): Seed {
  const texts = (policies: Map<string, { text: string }>) =>
    Object.fromEntries([...policies].map(([name, p]) => [name, p.text]));
  return {
    accounts: [...iam.accounts.values()].map((a) => ({
      id: a.id,
      ...(a.alias ? { alias: a.alias } : {}),
      users: [...a.users.values()].map((u) => ({
        name: u.name,
        path: u.path,
        userId: u.userId,
        accessKeys: u.accessKeys.map((k) => ({ ...k })),
        inlinePolicies: texts(u.inlinePolicies),
        attachedPolicyArns: [...u.attachedPolicyArns],
        tags: { ...u.tags },
        createDate: u.createDate.toISOString(),
      })),
      roles: [...a.roles.values()].map((r) => ({
        name: r.name,
        path: r.path,
        roleId: r.roleId,
        ...(r.description !== null ? { description: r.description } : {}),
        maxSessionDuration: r.maxSessionDuration,
        assumeRolePolicy: r.trustPolicy.text,
        inlinePolicies: texts(r.inlinePolicies),
        attachedPolicyArns: [...r.attachedPolicyArns],
        tags: { ...r.tags },
        createDate: r.createDate.toISOString(),
      })),
      policies: [...a.policies.values()].map((p) => ({
        name: p.name,
        path: p.path,
        ...(p.description !== null ? { description: p.description } : {}),
        document: p.policy.text,
        createDate: p.createDate.toISOString(),
      })),
      oidcProviders: [...a.oidcProviders.values()].map((p) => ({
        url: p.url,
        clientIds: [...p.clientIds],
        thumbprints: [...p.thumbprints],
        createDate: p.createDate.toISOString(),
      })),
      ...(a.trail
        ? { trail: { bucket: a.trail.bucket, ...(a.trail.regions ? { regions: [...a.trail.regions] } : {}) } }
        : {}),
    })),
  };
}
