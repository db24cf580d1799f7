/** The trail-source routes and schemas of audit's OpenAPI document. */
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
const one = { '200': { description: 'the source with its health', content: { 'application/json': { schema: { $ref: '#/components/schemas/TrailSource' } } } } };
const refused = {
  description: 'the reader role failed verification; nothing was saved',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/TrailSourceRefusal' } } },
};
const writeErrors = { '400': problem('a bad field, named in issues'), '401': problem('no or bad API key'), '403': problem('not an account-wide admin key'), '422': refused };
const id = { name: 'id', in: 'path', required: true, schema: str };
const fields = {
  regions: { type: 'array', items: str, minItems: 1 },
  roleArn: { ...str, description: 'arn:<partition>:iam::<awsAccountId>:role/<reader>' },
  bucket: { ...str, description: 'S3 delivery: the bucket the trail delivers log files to; when given, each region is read from it instead of LookupEvents' },
  prefix: { ...str, description: 'S3 delivery: the key prefix (needs bucket)' },
};

export const TRAIL_SOURCE_PATHS = {
  '/v1/audit/trail-sources': {
    post: {
      summary: "Registers a reader role in a customer AWS account; verified first (with the source's external id works, without and with another tenant's fails, LookupEvents allowed, and with a bucket the trail's folder may be listed: s3-read)",
      description: 'Account-wide admin keys only. One source per AWS account.',
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['awsAccountId', 'regions', 'roleArn'], additionalProperties: false, properties: { awsAccountId: str, ...fields } } } } },
      responses: { '201': one['200'], ...writeErrors, '409': problem('a source for this AWS account exists') },
    },
    get: {
      summary: "The account's trail sources with their health per region",
      responses: { '200': { description: 'every source', content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/TrailSource' } } } } } } }, '403': problem('a key limited to spaces') },
    },
  },
  '/v1/audit/trail-sources/{id}': {
    get: { summary: 'One trail source', parameters: [id], responses: { ...one, '404': problem('no such source in the account') } },
    patch: {
      summary: 'Changes regions, role or S3 location; verified again',
      parameters: [id],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { ...fields, bucket: { type: ['string', 'null'] }, prefix: { type: ['string', 'null'] } } } } } },
      responses: { ...one, ...writeErrors, '404': problem('no such source in the account') },
    },
    delete: { summary: 'Stops polling and forgets the source (its events stay)', parameters: [id], responses: { '204': { description: 'removed' }, '403': problem('not an account-wide admin key'), '404': problem('no such source') } },
  },
};

const statement = { type: 'object', description: 'an IAM policy statement to paste' };

export const TRAIL_SOURCE_SCHEMAS = {
  TrailSource: {
    type: 'object',
    properties: {
      id: str, account: str, awsAccountId: str, ...fields, bucket: strOrNull, prefix: strOrNull,
      externalId: { ...str, description: '<account>@trail-source@<id>, the sts:ExternalId the reader role must require' },
      createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' }, verifiedAt: { type: 'string', format: 'date-time' },
      health: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            region: str, lastSuccessfulPollAt: strOrNull, lagSeconds: { type: ['integer', 'null'], description: 'how far the checkpoint is behind now' },
            lastError: strOrNull, lastErrorAt: strOrNull, eventsIngested: { type: 'integer' },
          },
        },
      },
    },
  },
  TrailSourceRefusal: {
    type: 'object',
    properties: {
      code: { const: 'UNSAFE_TRUST_POLICY' }, detail: str,
      externalId: { ...str, description: 'on PATCH only: a refused POST stores nothing, so its trustStatement matches <account>@trail-source@*' },
      checks: { type: 'array', items: { type: 'object', properties: { check: str, status: { type: 'string', enum: ['pass', 'fail', 'warn'] }, message: str } } },
      trustStatement: statement, permissionStatements: { type: 'array', items: statement },
    },
  },
};
