import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import { ulid } from 'ulid';
import { UlidParamPipe } from '../api/ulid-param.pipe';
import { createAccountBody, createApiKeyBody, createSpaceBody, updateAccountBody } from '../api/api.schemas';
import { input, notFound } from '../api/request-input';
import { mintApiKey } from '../auth/api-key.codec';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import { unknownSpace, type Principal } from '../auth/principal';
import { changedFields, recordAdminEvent, type AdminChange } from '../outbox/admin-event';
import { SpaceTree } from '../spaces/space-tree';
import { Account } from '../storage/account.entity';
import { ApiKey } from '../storage/api-key.entity';
import { Space } from '../storage/space.entity';
import { UnitOfWork } from '../unit-of-work';
import { BootstrapTokenGuard } from './bootstrap-token.guard';
import { CreateAccountUseCase } from './create-account.usecase';

/** `POST /v1/accounts` (bootstrap token only, checked before the body). */
@Controller('v1/accounts')
@UseGuards(BootstrapTokenGuard)
export class AccountsController {
  constructor(private readonly createAccount: CreateAccountUseCase) {}

  @Post()
  create(@Body() body: unknown) {
    return this.createAccount.execute(input(createAccountBody, body, 'account'));
  }
}

/** The calling key's account: who am I, spaces, API keys. */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AccountController {
  constructor(private readonly uow: UnitOfWork) {}

  @Get('account')
  async whoami(@CurrentPrincipal() p: Principal) {
    const account = await this.uow.read().findOneOrFail(Account, { slug: p.account });
    return this.accountView(p, account);
  }

  /** The account's settings (admin keys of the whole account only: they apply to every space). */
  @Patch('account')
  async update(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    p.requireAdmin();
    const spec = input(updateAccountBody, body, 'account update');
    if (p.spaceSubtree !== null)
      throw new RuntrailError(
        'FORBIDDEN',
        'account settings apply to every space: use an admin key of the whole account',
      );
    const account = await this.uow.write(`account ${p.account}`, async (em) => {
      const row = await em.findOneOrFail(Account, { slug: p.account });
      const changes = changedFields({ oidcAudience: row.oidcAudience ?? null }, spec, ['oidcAudience']);
      row.oidcAudience = spec.oidcAudience;
      recordAdminEvent(em, p, {
        action: 'account.settings_updated',
        target: { type: 'account', id: p.account, name: p.account },
        spaceId: null,
        changes,
      });
      return row;
    });
    return this.accountView(p, account);
  }

  private accountView(p: Principal, account: Account) {
    return {
      account: p.account,
      keyId: p.keyId,
      role: p.role,
      spaceSubtree: p.spaceSubtree,
      visibleSpaces: p.visibleSpaces,
      settings: { oidcAudience: account.oidcAudience ?? null },
    };
  }

  @Get('spaces')
  async spaces(@CurrentPrincipal() p: Principal) {
    const rows = await this.uow.read().find(Space, { account: p.account }, { orderBy: { slug: 'asc' } });
    return {
      items: rows
        .filter((s) => p.canSee(s.slug))
        .map((s) => ({ id: s.slug, name: s.name, parent: s.parent ?? null })),
    };
  }

  @Post('spaces')
  async createSpace(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    p.requireAdmin();
    const space = input(createSpaceBody, body, 'space');
    p.requireSpace(space.parent, 'parent');
    await this.uow.write(`space '${space.id}'`, async (em) => {
      if (!(await SpaceTree.load(em, p.account)).has(space.parent)) unknownSpace(space.parent, 'parent');
      em.create(Space, {
        id: ulid(),
        account: p.account,
        slug: space.id,
        parent: space.parent,
        name: space.name,
      });
      recordAdminEvent(em, p, {
        action: 'space.created',
        target: { type: 'space', id: space.id, name: space.name },
        spaceId: space.id,
      });
    });
    return { id: space.id, name: space.name, parent: space.parent };
  }

  @Get('api-keys')
  async apiKeys(@CurrentPrincipal() p: Principal) {
    p.requireAdmin();
    const rows = await this.uow.read().find(ApiKey, { account: p.account }, { orderBy: { id: 'asc' } });
    return {
      // A limited admin sees the keys of its subtree only: not account-wide keys, not other subtrees.
      items: rows
        .filter((k) => (k.spaceSubtree ? p.canSee(k.spaceSubtree) : p.spaceSubtree === null))
        .map(keyView),
    };
  }

  @Post('api-keys')
  async createApiKey(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    p.requireAdmin();
    const spec = input(createApiKeyBody, body, 'API key');
    // A limited admin can only mint keys inside its own subtree, never a wider one.
    if (p.spaceSubtree !== null && spec.spaceSubtree === null) {
      throw new RuntrailError(
        'VALIDATION_FAILED',
        'a key limited to a space subtree cannot create an account-wide key',
        [{ path: 'spaceSubtree', rule: `must be '${p.spaceSubtree}' or a space below it` }],
      );
    }
    if (spec.spaceSubtree !== null) p.requireSpace(spec.spaceSubtree, 'spaceSubtree');
    const minted = mintApiKey();
    await this.uow.write(`API key '${spec.name}'`, async (em) => {
      if (spec.spaceSubtree !== null && !(await SpaceTree.load(em, p.account)).has(spec.spaceSubtree))
        unknownSpace(spec.spaceSubtree, 'spaceSubtree');
      em.create(ApiKey, {
        id: minted.id,
        account: p.account,
        name: spec.name,
        role: spec.role,
        spaceSubtree: spec.spaceSubtree,
        secretSha256: minted.secretSha256,
      });
      recordAdminEvent(em, p, {
        action: 'api_key.created',
        ...keyTarget(minted.id, spec.name, spec.spaceSubtree),
      });
    });
    return {
      id: minted.id,
      name: spec.name,
      role: spec.role,
      spaceSubtree: spec.spaceSubtree,
      key: minted.key,
    };
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  async revokeApiKey(
    @CurrentPrincipal() p: Principal,
    @Param('id', UlidParamPipe) id: string,
  ): Promise<void> {
    p.requireAdmin();
    await this.uow.write(`API key '${id}'`, async (em) => {
      const key = await em.findOne(ApiKey, { id, account: p.account });
      if (!key || (key.spaceSubtree && !p.canSee(key.spaceSubtree)) || (!key.spaceSubtree && p.spaceSubtree))
        notFound(`API key ${id}`);
      if (key.revokedAt) return;
      key.revokedAt = new Date();
      recordAdminEvent(em, p, {
        action: 'api_key.revoked',
        ...keyTarget(key.id, key.name, key.spaceSubtree ?? null),
      });
    });
  }
}

/** An API key as admin records name it: seen in its subtree, account-level when account-wide. */
function keyTarget(
  id: string,
  name: string,
  spaceSubtree: string | null,
): Pick<AdminChange, 'target' | 'spaceId'> {
  return { target: { type: 'api_key', id, name }, spaceId: spaceSubtree };
}

function keyView(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    spaceSubtree: k.spaceSubtree ?? null,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
