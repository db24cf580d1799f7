import { ADMIN_ACTIONS, ADMIN_TARGET_TYPES, FINDING_KINDS, PHASES, RUN_TYPES } from '@runtrail/contracts';
import { TRAIL_SOURCE_PATHS, TRAIL_SOURCE_SCHEMAS } from '../trail-sources/trail-sources.openapi';

const page = (item: string) => ({
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: { $ref: `#/components/schemas/${item}` } }, nextCursor: { type: ['string', 'null'] } },
});

const paging = [
  { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page, unchanged' },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
];
const format = { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' }, description: 'csv: the same page as CSV; the next cursor is in X-Next-Cursor' };
const timeRange = [
  { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
  { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'exclusive' },
];
const errors = {
  '400': { description: 'a bad parameter', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
  '401': { description: 'no or bad API key', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
};
const listResponse = (item: string) => ({
  '200': {
    description: 'a page',
    headers: { 'X-Next-Cursor': { schema: { type: 'string' } } },
    content: { 'application/json': { schema: page(item) }, 'text/csv': { schema: { type: 'string' } } },
  },
  ...errors,
});
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };

/** The audit query API as OpenAPI 3.1, served at `GET /v1/audit/openapi.json`. */
export const AUDIT_OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'runtrail audit', version: '1.0.0', description: 'Which run made which AWS call, and what looks wrong.' },
  security: [{ apiKey: [] }],
  paths: {
    '/v1/audit/runs': {
      get: {
        summary: "The account's runs (the key's spaces only), newest first, with counts of issuances, AWS calls, refused calls and findings",
        description: 'from/to bound the run id\'s time (run ids are ULIDs: their creation time); phase is the latest phase audit knows of. Unknown parameters are refused.',
        parameters: [
          { name: 'callerId', in: 'query', schema: str, description: 'a stack\'s or module\'s id' },
          { name: 'callerType', in: 'query', schema: { type: 'string', enum: ['stack', 'module'] } },
          { name: 'spaceId', in: 'query', schema: str },
          { name: 'runType', in: 'query', schema: { type: 'string', enum: [...RUN_TYPES] } },
          { name: 'phase', in: 'query', schema: { type: 'string', enum: [...PHASES] } },
          ...timeRange, ...paging, format,
        ],
        responses: listResponse('Run'),
      },
    },
    '/v1/audit/runs/{runId}/timeline': {
      get: {
        summary: "A run's phases, issuances and every AWS call it made (chained sessions included), oldest first",
        parameters: [{ name: 'runId', in: 'path', required: true, schema: str }, ...paging],
        responses: { '200': { description: 'the timeline; events are paged', content: { 'application/json': { schema: { $ref: '#/components/schemas/Timeline' } } } }, ...errors, '404': errors['400'] },
      },
    },
    '/v1/audit/changes': {
      get: {
        summary: 'Who changed a resource (by ARN or name): mutating calls that named it, newest first',
        parameters: [{ name: 'resource', in: 'query', required: true, schema: str }, ...paging, format],
        responses: listResponse('Event'),
      },
    },
    '/v1/audit/events': {
      get: {
        summary: "Activity of the account's runs",
        parameters: [
          ...['runId', 'spaceId', 'callerId', 'awsAccountId', 'eventName'].map((name) => ({ name, in: 'query', schema: str })),
          { name: 'denied', in: 'query', schema: { type: 'string', enum: ['true', 'false'] }, description: 'true: refused calls (denied AssumeRole attempts among them)' },
          ...timeRange, ...paging, format,
        ],
        responses: listResponse('Event'),
      },
    },
    '/v1/audit/findings': {
      get: {
        summary: "The account's findings, newest first",
        parameters: [{ name: 'kind', in: 'query', schema: { type: 'string', enum: [...FINDING_KINDS] } }, { name: 'runId', in: 'query', schema: str }, ...timeRange, ...paging, format],
        responses: listResponse('Finding'),
      },
    },
    '/v1/audit/admin-events': {
      get: {
        summary: "Admin changes to the account's accounts, API keys, spaces, callers, integrations and attachments, with their actor, newest first",
        description: 'A key limited to some spaces sees only the changes in them, never account-level ones (spaceId null). Unknown parameters are refused.',
        parameters: [
          { name: 'action', in: 'query', schema: { type: 'string', enum: [...ADMIN_ACTIONS] } },
          { name: 'actorKeyId', in: 'query', schema: str, description: 'the id of the API key that made the change' },
          { name: 'targetType', in: 'query', schema: { type: 'string', enum: [...ADMIN_TARGET_TYPES] } },
          { name: 'targetId', in: 'query', schema: str },
          ...timeRange, ...paging, format,
        ],
        responses: listResponse('AdminEvent'),
      },
    },
    ...TRAIL_SOURCE_PATHS,
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'rtk.<id>.<secret>, an API key of the integrations service' } },
    schemas: {
      ...TRAIL_SOURCE_SCHEMAS,
      Problem: { type: 'object', properties: { type: str, title: str, status: { type: 'integer' }, detail: str, code: str, instance: str } },
      Event: {
        type: 'object',
        properties: {
          eventId: str, eventTime: { type: 'string', format: 'date-time' }, eventName: str, eventSource: str, awsRegion: strOrNull,
          awsAccountId: strOrNull, principalArn: strOrNull, principalType: strOrNull, accessKeyId: strOrNull, sourceIdentity: strOrNull,
          sourceIp: strOrNull, userAgent: strOrNull, errorCode: strOrNull, denied: { type: 'boolean' }, roleArn: strOrNull,
          resources: { type: 'array', items: str }, requestParameters: { type: ['object', 'null'] }, runId: strOrNull, account: strOrNull,
          spaceId: strOrNull, callerId: strOrNull,
          link: { type: ['string', 'null'], description: 'issuance_access_key, issuance_session_name, issuance_source_identity, access_key, assumed_role_arn, source_identity, chained, chained_source_identity' },
        },
      },
      Run: {
        type: 'object',
        properties: {
          runId: str, account: str, spaceId: str, callerType: { type: 'string', enum: ['stack', 'module'] }, callerId: str, callerSlug: str,
          runType: str, phase: strOrNull, startedAt: { type: ['string', 'null'], format: 'date-time' }, endedAt: { type: ['string', 'null'], format: 'date-time' },
          endPhase: strOrNull, issuances: { type: 'integer' }, awsCalls: { type: 'integer' }, deniedCalls: { type: 'integer' }, findings: { type: 'integer' },
        },
      },
      Finding: {
        type: 'object',
        properties: {
          id: str, kind: { type: 'string', enum: [...FINDING_KINDS] }, severity: { type: 'string', enum: ['low', 'medium', 'high'] },
          account: strOrNull, runId: strOrNull, roleArn: strOrNull, awsAccountId: strOrNull, eventId: strOrNull, message: str,
          detectedAt: { type: 'string', format: 'date-time' }, details: { type: 'object' },
        },
      },
      AdminEvent: {
        type: 'object',
        required: ['id', 'account', 'actor', 'action', 'target', 'spaceId', 'at'],
        properties: {
          id: str, account: str,
          actor: {
            oneOf: [
              { type: 'object', required: ['keyId', 'role'], properties: { keyId: str, role: { type: 'string', enum: ['admin', 'reader', 'scheduler'] } } },
              { type: 'object', required: ['bootstrap'], properties: { bootstrap: { const: true } }, description: 'account creation with the bootstrap token' },
            ],
          },
          action: { type: 'string', enum: [...ADMIN_ACTIONS] },
          target: { type: 'object', required: ['type', 'id'], properties: { type: { type: 'string', enum: [...ADMIN_TARGET_TYPES] }, id: str, name: str } },
          spaceId: { type: ['string', 'null'], description: 'null: an account-level change' },
          at: { type: 'string', format: 'date-time' },
          changes: { type: 'array', items: str, description: 'names of the changed fields, never their values' },
          autoattachLabel: { type: 'string', description: 'set on attachments autoattach made' },
        },
      },
      Timeline: {
        type: 'object',
        properties: {
          run: { type: 'object' },
          phases: { type: 'array', items: { type: 'object', properties: { phase: str, at: { type: 'string', format: 'date-time' } } } },
          issuances: { type: 'array', items: { type: 'object' } },
          events: page('Event'),
        },
      },
    },
  },
} as const;
