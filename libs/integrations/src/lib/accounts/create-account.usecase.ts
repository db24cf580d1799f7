import { Injectable } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import { ulid } from 'ulid';
import type { z } from 'zod';
import type { createAccountBody } from '../api/api.schemas';
import { mintApiKey, sameDigest, sha256Hex } from '../auth/api-key.codec';
import { IntegrationsConfig } from '../integrations.config';
import { bootstrapActor, recordAdminEvent } from '../outbox/admin-event';
import { Account } from '../storage/account.entity';
import { ApiKey } from '../storage/api-key.entity';
import { Space } from '../storage/space.entity';
import { UnitOfWork } from '../unit-of-work';

/**
 * Bootstrapping: whoever holds `INTEGRATIONS_BOOTSTRAP_TOKEN` may create an account, which gets its
 * `root` space and a first admin key, returned once. Without the variable the route is closed.
 * Both are recorded as admin changes made by the bootstrap token. The token is checked by
 * {@link authenticate} (the route's guard) before the body.
 */
@Injectable()
export class CreateAccountUseCase {
  constructor(
    private readonly config: IntegrationsConfig,
    private readonly uow: UnitOfWork,
  ) {}

  async execute(body: z.output<typeof createAccountBody>) {
    const minted = mintApiKey();
    await this.uow.write(`account '${body.slug}'`, async (em) => {
      em.create(Account, { slug: body.slug });
      em.create(Space, { id: ulid(), account: body.slug, slug: 'root', parent: null, name: 'root' });
      em.create(ApiKey, {
        id: minted.id,
        account: body.slug,
        name: body.adminKeyName,
        role: 'admin',
        spaceSubtree: null,
        secretSha256: minted.secretSha256,
      });
      const actor = bootstrapActor(body.slug);
      recordAdminEvent(em, actor, {
        action: 'account.created',
        target: { type: 'account', id: body.slug, name: body.slug },
        spaceId: null,
      });
      recordAdminEvent(em, actor, {
        action: 'api_key.created',
        target: { type: 'api_key', id: minted.id, name: body.adminKeyName },
        spaceId: null,
      });
    });
    return {
      account: body.slug,
      apiKey: {
        id: minted.id,
        name: body.adminKeyName,
        role: 'admin' as const,
        spaceSubtree: null,
        key: minted.key,
      },
    };
  }

  /**
   * @throws RuntrailError `FORBIDDEN` when bootstrap is disabled, `UNAUTHENTICATED` unless `presented`
   * is the bootstrap token.
   */
  authenticate(presented: string | null): void {
    const expected = this.config.bootstrapToken;
    if (!expected)
      throw new RuntrailError(
        'FORBIDDEN',
        'account bootstrap is disabled: set INTEGRATIONS_BOOTSTRAP_TOKEN to enable POST /v1/accounts',
      );
    if (!presented || !sameDigest(sha256Hex(presented), sha256Hex(expected))) {
      throw new RuntrailError(
        'UNAUTHENTICATED',
        'send the bootstrap token: Authorization: Bearer <INTEGRATIONS_BOOTSTRAP_TOKEN>',
      );
    }
  }
}
