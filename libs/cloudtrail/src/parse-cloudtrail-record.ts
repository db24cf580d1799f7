import { parseCloudTrailDate } from './parse-cloudtrail-date';
import type {
  NormalizedAssumeRole,
  NormalizedPrincipal,
  NormalizedResource,
  ParseResult,
} from './lib/normalized-event.types';
import { bool, isObject, num, obj, str, type Json } from './lib/record-fields';
import { roleArnFromErrorMessage } from './lib/role-arn-from-error';
import { MAX_RECORD_DEPTH } from './lib/record-splitter';

const ASSUME_ROLE_EVENTS: ReadonlySet<string> = new Set([
  'AssumeRole',
  'AssumeRoleWithWebIdentity',
  'AssumeRoleWithSAML',
]);

/** Members of `responseElements.credentials` that are secret and must never be kept. */
const SECRET_CREDENTIAL_MEMBERS = ['sessionToken', 'secretAccessKey'] as const;

export interface ParseOptions {
  /** Byte size of the record's JSON text when the caller has it (saves a re-serialisation). */
  rawSize?: number;
  /**
   * The caller already refused records deeper than `MAX_RECORD_DEPTH` (the file reader does, while
   * splitting); otherwise (NATS push, LookupEvents) the depth is checked here.
   */
  depthChecked?: boolean;
}

/**
 * Normalises one CloudTrail record (an element of `Records`, or the parsed `CloudTrailEvent` of
 * LookupEvents). Never throws: a record is refused only when it lacks what identifies an event
 * (eventID, eventName, eventSource, a readable eventTime) or is not an object at all.
 *
 * Tolerates every quirk of real logs: `requestParameters: null` on denied calls (the role ARN
 * is then recovered from errorMessage), human-format expiration dates, missing or empty
 * `accessKeyId`, identity-less service events, unknown regions and mismatched account ids.
 */
export function parseCloudTrailRecord(record: unknown, options: ParseOptions = {}): ParseResult {
  if (!isObject(record)) return { ok: false, reason: 'record is not a JSON object' };
  if (!options.depthChecked && nestsDeeperThan(record, MAX_RECORD_DEPTH)) {
    return { ok: false, reason: `record nests deeper than ${MAX_RECORD_DEPTH} levels` };
  }
  const eventId = str(record, 'eventID');
  const eventName = str(record, 'eventName');
  const eventSource = str(record, 'eventSource');
  if (!eventId) return { ok: false, reason: 'record has no eventID' };
  if (!eventName) return { ok: false, reason: `record ${eventId} has no eventName` };
  if (!eventSource) return { ok: false, reason: `record ${eventId} has no eventSource` };
  const eventTime = parseCloudTrailDate(record['eventTime']);
  if (!eventTime) return { ok: false, reason: `record ${eventId} has no readable eventTime` };

  const errorMessage = str(record, 'errorMessage');
  const requestParameters = obj(record, 'requestParameters');
  const responseElements = withoutSecrets(obj(record, 'responseElements'));
  const resources = readResources(record['resources']);
  return {
    ok: true,
    event: {
      eventId,
      eventTime,
      eventName,
      eventSource,
      awsRegion: str(record, 'awsRegion'),
      recipientAccountId: str(record, 'recipientAccountId'),
      sourceIp: str(record, 'sourceIPAddress'),
      userAgent: str(record, 'userAgent'),
      errorCode: str(record, 'errorCode'),
      errorMessage,
      readOnly: bool(record, 'readOnly'),
      eventType: str(record, 'eventType'),
      requestId: str(record, 'requestID'),
      sharedEventId: str(record, 'sharedEventID'),
      principal: readPrincipal(obj(record, 'userIdentity')),
      assumeRole: ASSUME_ROLE_EVENTS.has(eventName)
        ? readAssumeRole(requestParameters, responseElements, resources, errorMessage)
        : null,
      resources,
      requestParameters,
      responseElements,
      rawSize: options.rawSize ?? Buffer.byteLength(JSON.stringify(record)),
    },
  };
}

function readPrincipal(identity: Json | null): NormalizedPrincipal {
  const context = obj(identity, 'sessionContext');
  const issuer = obj(context, 'sessionIssuer');
  const webId = obj(context, 'webIdFederationData');
  const type = str(identity, 'type');
  const arn = str(identity, 'arn');
  return {
    type,
    arn,
    accountId: str(identity, 'accountId'),
    accessKeyId: str(identity, 'accessKeyId'),
    principalId: str(identity, 'principalId'),
    userName: str(identity, 'userName'),
    sessionName: type === 'AssumedRole' && arn ? sessionNameOf(arn) : null,
    sessionIssuerArn: str(issuer, 'arn'),
    sourceIdentity: str(context, 'sourceIdentity') ?? str(identity, 'sourceIdentity'),
    invokedBy: str(identity, 'invokedBy'),
    identityProvider: str(identity, 'identityProvider') ?? str(webId, 'federatedProvider'),
  };
}

// arn:aws:sts::123:assumed-role/<role>/<session>: the session is everything after the second slash.
function sessionNameOf(arn: string): string | null {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split('/');
  return parts[0] === 'assumed-role' && parts.length >= 3 ? parts.slice(2).join('/') : null;
}

function readAssumeRole(
  request: Json | null,
  response: Json | null,
  resources: NormalizedResource[],
  errorMessage: string | null,
): NormalizedAssumeRole {
  const credentials = obj(response, 'credentials');
  const assumed = obj(response, 'assumedRoleUser');
  const roleResource = resources.find((r) => r.type === 'AWS::IAM::Role' && r.arn);
  return {
    roleArn: str(request, 'roleArn') ?? roleResource?.arn ?? roleArnFromErrorMessage(errorMessage),
    roleSessionName: str(request, 'roleSessionName'),
    externalId: str(request, 'externalId'),
    sourceIdentity: str(request, 'sourceIdentity') ?? str(response, 'sourceIdentity'),
    durationSeconds: num(request, 'durationSeconds'),
    sessionTags: readTags(request?.['tags']),
    issuedAccessKeyId: str(credentials, 'accessKeyId'),
    assumedRoleArn: str(assumed, 'arn'),
    assumedRoleId: str(assumed, 'assumedRoleId'),
    expiration: parseCloudTrailDate(credentials?.['expiration']),
  };
}

function readTags(value: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!Array.isArray(value)) return tags;
  for (const tag of value) {
    if (!isObject(tag)) continue;
    const key = str(tag, 'key') ?? str(tag, 'Key');
    const val = tag['value'] ?? tag['Value'];
    if (key) tags[key] = typeof val === 'string' ? val : '';
  }
  return tags;
}

function readResources(value: unknown): NormalizedResource[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((r) => ({
    arn: str(r, 'ARN') ?? str(r, 'arn'),
    type: str(r, 'type'),
    accountId: str(r, 'accountId'),
  }));
}

function withoutSecrets(response: Json | null): Json | null {
  const credentials = obj(response, 'credentials');
  if (!response || !credentials) return response;
  if (!SECRET_CREDENTIAL_MEMBERS.some((m) => m in credentials)) return response;
  const clean: Json = { ...credentials };
  for (const member of SECRET_CREDENTIAL_MEMBERS) delete clean[member];
  return { ...response, credentials: clean };
}

/**
 * Whether a parsed value nests deeper than `max` levels (the value itself being 1). Iterative, so
 * a hostile 100,000-level value cannot overflow the stack here (JSON.stringify of it would later).
 */
function nestsDeeperThan(value: object, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [current, depth] = next;
    if (depth > max) return true;
    for (const child of Object.values(current as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
