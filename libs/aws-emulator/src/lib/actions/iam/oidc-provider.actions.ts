import { AwsApiError, validationError } from '../../http/aws-api.error';
import { memberList } from '../../http/query-protocol';
import type { OidcProvider } from '../../state/iam.types';
import { normaliseIssuerUrl } from '../../state/oidc-url';
import type { ActionContext, ActionDef } from '../action.types';
import { authorizeIam, signedCaller, tagsParam } from './iam-shapes';

function providerParam(ctx: ActionContext, action: string): OidcProvider {
  const { caller, account } = signedCaller(ctx);
  const arn = ctx.params.get('OpenIDConnectProviderArn');
  if (arn === undefined) throw validationError('openIDConnectProviderArn', null, 'Member must not be null');
  authorizeIam(ctx, caller, action, arn);
  const provider = account.oidcProviders.get(arn);
  if (!provider)
    throw new AwsApiError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`, 404);
  return provider;
}

export const createOpenIdConnectProviderAction: ActionDef = {
  service: 'iam',
  name: 'CreateOpenIDConnectProvider',
  readOnly: false,
  handle(ctx) {
    const { caller, account } = signedCaller(ctx);
    const rawUrl = ctx.params.get('Url');
    if (rawUrl === undefined) throw validationError('url', null, 'Member must not be null');
    const normalised = normaliseIssuerUrl(rawUrl);
    if (!normalised)
      throw new AwsApiError(
        'InvalidInput',
        'Invalid URL: must be https (http is accepted only for loopback hosts).',
      );
    const arn = `arn:aws:iam::${account.id}:oidc-provider/${normalised.hostPath}`;
    authorizeIam(ctx, caller, 'CreateOpenIDConnectProvider', arn);
    const clientIds = memberList(ctx.params, 'ClientIDList');
    const thumbprints = memberList(ctx.params, 'ThumbprintList');
    if (clientIds.some((c) => c.length < 1 || c.length > 255))
      throw validationError('clientIDList', clientIds.join(','), 'Member must have length between 1 and 255');
    if (thumbprints.some((t) => !/^[0-9a-fA-F]{40}$/.test(t)))
      throw validationError('thumbprintList', thumbprints.join(','), 'Member must have length 40');
    if (account.oidcProviders.has(arn))
      throw new AwsApiError('EntityAlreadyExists', `Provider with url ${rawUrl} already exists.`, 409);
    ctx.core.iam.addProvider({
      accountId: account.id,
      arn,
      url: normalised.url,
      hostPath: normalised.hostPath,
      clientIds,
      thumbprints,
      tags: tagsParam(ctx.params),
      createDate: new Date(Math.floor(ctx.now.getTime() / 1000) * 1000),
    });
    return {
      result: { OpenIDConnectProviderArn: arn },
      trail: { responseElements: { openIDConnectProviderArn: arn } },
    };
  },
};

export const getOpenIdConnectProviderAction: ActionDef = {
  service: 'iam',
  name: 'GetOpenIDConnectProvider',
  readOnly: true,
  handle(ctx) {
    const p = providerParam(ctx, 'GetOpenIDConnectProvider');
    return {
      result: {
        Url: p.hostPath,
        ClientIDList: { member: p.clientIds },
        ThumbprintList: { member: p.thumbprints },
        CreateDate: p.createDate.toISOString(),
        ...(Object.keys(p.tags).length
          ? { Tags: { member: Object.entries(p.tags).map(([Key, Value]) => ({ Key, Value })) } }
          : {}),
      },
    };
  },
};

export const deleteOpenIdConnectProviderAction: ActionDef = {
  service: 'iam',
  name: 'DeleteOpenIDConnectProvider',
  readOnly: false,
  handle(ctx) {
    ctx.core.iam.deleteProvider(providerParam(ctx, 'DeleteOpenIDConnectProvider'));
    return { result: null };
  },
};

export const listOpenIdConnectProvidersAction: ActionDef = {
  service: 'iam',
  name: 'ListOpenIDConnectProviders',
  readOnly: true,
  handle(ctx) {
    const { caller, account } = signedCaller(ctx);
    authorizeIam(ctx, caller, 'ListOpenIDConnectProviders', '*');
    return {
      result: {
        OpenIDConnectProviderList: {
          member: [...account.oidcProviders.keys()].sort().map((Arn) => ({ Arn })),
        },
      },
    };
  },
};
