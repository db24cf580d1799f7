import { integrationSnapshotSchema, attachmentSchema } from '@runtrail/contracts';
import { z } from 'zod';
import * as bodies from '../api/api.schemas';

type JsonSchema = Record<string, unknown>;

// The OpenAPI 3.1 document of the REST API. Request bodies come from the same zod schemas that
// validate them (api.schemas.ts), so the document cannot drift from the validation.

function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const problem = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    instance: { type: 'string' },
    issues: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, rule: { type: 'string' } } },
    },
    verdict: { type: 'object', description: "The verifier's verdict (422 UNSAFE_TRUST_POLICY only)" },
  },
};

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      {
        description: 'problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );

const json = (ref: string, description = 'OK') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const body = (ref: string) => ({
  required: true,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const runIdParam = { name: 'runId', in: 'path', required: true, schema: { type: 'string' } };
const listParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
  {
    name: 'label',
    in: 'query',
    description: 'repeat to require several labels',
    schema: { type: 'array', items: { type: 'string' } },
    explode: true,
  },
];

function op(summary: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { summary, ...extra, responses: { ...responses, ...errors(400, 401, 403, 404, 429) } };
}

/** Builds the document served at `GET /v1/openapi.json`. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'runtrail integrations API',
      version: '1.0.0',
      description: 'Accounts, callers, API keys, AWS integrations and attachments.',
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/accounts': {
        post: op(
          'Create an account and its first admin key (bootstrap token)',
          { 201: json('CreatedAccount', 'Created') },
          { requestBody: body('CreateAccount'), security: [{ bootstrapToken: [] }] },
        ),
      },
      '/v1/account': {
        get: op('The calling key, its account and the account settings', { 200: { description: 'OK' } }),
        patch: op(
          "Change the account's settings (OIDC audience; admin key of the whole account)",
          { 200: { description: 'OK' } },
          { requestBody: body('UpdateAccount') },
        ),
      },
      '/v1/spaces': {
        get: op('List spaces', { 200: { description: 'OK' } }),
        post: op('Create a space', { 201: { description: 'Created' } }, { requestBody: body('CreateSpace') }),
      },
      '/v1/api-keys': {
        get: op('List API keys (admin)', { 200: { description: 'OK' } }),
        post: op(
          'Create an API key (shown once)',
          { 201: { description: 'Created' } },
          { requestBody: body('CreateApiKey') },
        ),
      },
      '/v1/api-keys/{id}': {
        delete: op('Revoke an API key', { 204: { description: 'Revoked' } }, { parameters: [idParam] }),
      },
      '/v1/callers': {
        get: op('List stacks and modules', { 200: { description: 'OK' } }, { parameters: listParams }),
        post: op(
          'Register a stack or module',
          { 201: { description: 'Created' } },
          { requestBody: body('RegisterCaller') },
        ),
      },
      '/v1/callers/{id}': {
        get: op('Read a caller', { 200: { description: 'OK' } }, { parameters: [idParam] }),
        patch: op(
          'Move or relabel a caller',
          { 200: { description: 'OK' } },
          { parameters: [idParam], requestBody: body('UpdateCaller') },
        ),
        delete: op(
          'Remove a caller and its attachments',
          { 204: { description: 'Removed' } },
          { parameters: [idParam] },
        ),
      },
      '/v1/integrations': {
        get: op(
          'List integrations (label filter, paging)',
          { 200: json('IntegrationPage') },
          { parameters: listParams },
        ),
        post: op(
          'Create an integration (no AWS call: the role may not exist yet; attaching verifies)',
          { 201: json('Integration', 'Created'), ...errors(503) },
          { requestBody: body('CreateIntegration') },
        ),
      },
      '/v1/integrations/{id}': {
        get: op('Read an integration', { 200: json('Integration') }, { parameters: [idParam] }),
        patch: op(
          'Update an integration (a change of role or session features is verified for every attached caller first)',
          { 200: json('Integration'), ...errors(409, 422, 503) },
          { parameters: [idParam], requestBody: body('UpdateIntegration') },
        ),
        delete: op(
          'Delete an integration (refused while attached unless force)',
          { 204: { description: 'Deleted' }, ...errors(409) },
          {
            parameters: [
              idParam,
              { name: 'force', in: 'query', schema: { type: 'boolean', default: false } },
            ],
          },
        ),
      },
      '/v1/integrations/{id}/verify': {
        post: op(
          'Verify now for every attached caller (alone when unattached) and record health',
          { 200: { description: 'The verdict' }, ...errors(503) },
          { parameters: [idParam] },
        ),
      },
      '/v1/integrations/{id}/external-ids': {
        get: op(
          "A caller's external ids and the statement to paste, attached or not (the provider's data source)",
          { 200: json('CallerExternalIds') },
          {
            parameters: [
              idParam,
              { name: 'callerId', in: 'query', schema: { type: 'string' } },
              { name: 'stack', in: 'query', description: 'stack slug', schema: { type: 'string' } },
              { name: 'module', in: 'query', description: 'module slug', schema: { type: 'string' } },
              { name: 'read', in: 'query', schema: { type: 'boolean', default: true } },
              { name: 'write', in: 'query', schema: { type: 'boolean', default: true } },
            ],
          },
        ),
      },
      '/v1/integrations/{id}/attachments': {
        post: op(
          'Attach to a stack/module (verified first)',
          { 201: json('Attachment', 'Created'), ...errors(409, 422, 503) },
          { parameters: [idParam], requestBody: body('Attach') },
        ),
      },
      '/v1/attachments': {
        get: op(
          'List attachments',
          { 200: { description: 'OK' } },
          {
            parameters: [
              ...listParams,
              { name: 'integrationId', in: 'query', schema: { type: 'string' } },
              { name: 'callerId', in: 'query', schema: { type: 'string' } },
            ],
          },
        ),
      },
      '/v1/attachments/{id}': {
        get: op('Read an attachment', { 200: json('Attachment') }, { parameters: [idParam] }),
        patch: op(
          'Change read/write (verified first)',
          { 200: json('Attachment'), ...errors(409, 422, 503) },
          { parameters: [idParam], requestBody: body('UpdateAttachment') },
        ),
        delete: op('Detach', { 204: { description: 'Detached' } }, { parameters: [idParam] }),
      },
      '/v1/attachments/{id}/external-id': {
        get: op(
          'External ids and a paste-ready trust-policy statement',
          { 200: json('ExternalIds') },
          { parameters: [idParam] },
        ),
      },

      '/v1/runs': {
        post: op(
          'Start a run (scheduler or admin key): account, space and caller come from the registry; the run is QUEUED',
          { 201: json('Run', 'Created'), ...errors(409, 429) },
          { requestBody: body('CreateRun') },
        ),
      },
      '/v1/runs/{runId}': {
        get: op('Read a run', { 200: json('Run') }, { parameters: [runIdParam] }),
      },
      '/v1/runs/{runId}/phases': {
        post: op(
          "Enter a phase (server time; the run type's state machine; terminal phases are final)",
          { 200: json('Run'), ...errors(409, 429) },
          { parameters: [runIdParam], requestBody: body('EnterPhase') },
        ),
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'rtk.<id>.<secret>' },
        bootstrapToken: { type: 'http', scheme: 'bearer', description: 'INTEGRATIONS_BOOTSTRAP_TOKEN' },
      },
      schemas: {
        Problem: problem,
        CreateAccount: schemaOf(bodies.createAccountBody),
        CreatedAccount: {
          type: 'object',
          properties: {
            account: { type: 'string' },
            apiKey: { type: 'object', properties: { id: { type: 'string' }, key: { type: 'string' } } },
          },
        },
        UpdateAccount: schemaOf(bodies.updateAccountBody),
        CreateRun: schemaOf(bodies.createRunBody),
        EnterPhase: schemaOf(bodies.enterPhaseBody),
        Run: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            account: { type: 'string' },
            caller: { type: 'object' },
            spaceId: { type: 'string' },
            runType: { type: 'string' },
            workerId: { type: 'string' },
            phase: { type: 'string' },
            phaseAt: { type: 'string', format: 'date-time' },
            nextPhases: { type: 'array', items: { type: 'string' } },
            deadline: { type: 'string', format: 'date-time' },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        CreateSpace: schemaOf(bodies.createSpaceBody),
        CreateApiKey: schemaOf(bodies.createApiKeyBody),
        RegisterCaller: schemaOf(bodies.registerCallerBody),
        UpdateCaller: schemaOf(bodies.updateCallerBody),
        CreateIntegration: schemaOf(bodies.createIntegrationBody),
        UpdateIntegration: schemaOf(bodies.updateIntegrationBody),
        Attach: schemaOf(bodies.attachBody),
        UpdateAttachment: schemaOf(bodies.updateAttachmentBody),
        Integration: schemaOf(integrationSnapshotSchema, 'output'),
        IntegrationPage: {
          type: 'object',
          properties: {
            items: { type: 'array', items: { $ref: '#/components/schemas/Integration' } },
            nextCursor: { type: ['string', 'null'] },
          },
        },
        Attachment: schemaOf(attachmentSchema, 'output'),
        CallerExternalIds: {
          type: 'object',
          properties: {
            integrationId: { type: 'string' },
            caller: { type: 'object' },
            read: { type: 'string' },
            write: { type: 'string' },
            assumeRolePolicyStatement: {
              type: 'string',
              description: 'the statement as JSON, for jsondecode',
            },
            statement: { type: 'object' },
          },
        },
        ExternalIds: {
          type: 'object',
          properties: {
            attachmentId: { type: 'string' },
            integrationId: { type: 'string' },
            externalIds: {
              type: 'object',
              properties: { read: { type: 'string' }, write: { type: 'string' } },
            },
            assume_role_policy_statement: { type: 'object' },
          },
        },
      },
    },
  };
}
