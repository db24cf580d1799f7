import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { RuntrailError } from '@runtrail/contracts';
import { InjectEntityManager } from '@runtrail/persistence';
import { SpaceTree } from '../spaces/space-tree';
import { ApiKey } from '../storage/api-key.entity';
import { sameDigest } from './api-key.codec';
import { Principal } from './principal';

const REFUSED = 'the API key is unknown, revoked or wrong';

/** Checks an API key (its id and the SHA-256 of its secret) against the stored hash. */
@Injectable()
export class KeyAuthenticator {
  constructor(@InjectEntityManager('integrations') private readonly em: EntityManager) {}

  /** @throws RuntrailError `UNAUTHENTICATED`, with one message for every reason so keys cannot be probed. */
  async authenticate(keyId: string, secretSha256: string): Promise<Principal> {
    const em = this.em.fork();
    const key = await em.findOne(ApiKey, { id: keyId }, { populate: ['secretSha256'] });
    if (!key || key.revokedAt || !sameDigest(key.secretSha256, secretSha256)) {
      throw new RuntrailError('UNAUTHENTICATED', REFUSED);
    }
    const visible = key.spaceSubtree
      ? (await SpaceTree.load(em, key.account)).subtree(key.spaceSubtree)
      : null;
    return new Principal(key.id, key.account, key.role, key.spaceSubtree ?? null, visible);
  }
}
