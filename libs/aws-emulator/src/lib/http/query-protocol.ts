import { XMLBuilder } from 'fast-xml-parser';
import type { AwsApiError } from './aws-api.error';

export const NAMESPACES = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
} as const;

/** Form parameters of a Query-protocol request (`Action=AssumeRole&RoleArn=...`). */
export type QueryParams = Map<string, string>;

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

export function parseQueryParams(body: Buffer, rawQuery: string): QueryParams {
  const params: QueryParams = new Map();
  for (const source of [rawQuery, body.toString('utf8')]) {
    if (!source) continue;
    for (const [k, v] of new URLSearchParams(source)) if (!params.has(k)) params.set(k, v);
  }
  return params;
}

/** `Prefix.member.1`, `Prefix.member.2`... as a list. */
export function memberList(params: QueryParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; params.has(`${prefix}.member.${i}`); i++)
    out.push(params.get(`${prefix}.member.${i}`) ?? '');
  return out;
}

/** `Prefix.member.N.Field` structures as a list of records keyed by field. */
export function memberStructs(
  params: QueryParams,
  prefix: string,
  fields: readonly string[],
): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let i = 1; fields.some((f) => params.has(`${prefix}.member.${i}.${f}`)); i++) {
    const item: Record<string, string> = {};
    for (const f of fields) {
      const v = params.get(`${prefix}.member.${i}.${f}`);
      if (v !== undefined) item[f] = v;
    }
    out.push(item);
  }
  return out;
}

/** A success response: `<XResponse><XResult>...</XResult><ResponseMetadata/></XResponse>`. */
export function queryResponse(
  service: keyof typeof NAMESPACES,
  action: string,
  result: object | null,
  requestId: string,
): string {
  const body: Record<string, unknown> = { '@_xmlns': NAMESPACES[service] };
  if (result) body[`${action}Result`] = result;
  body['ResponseMetadata'] = { RequestId: requestId };
  return builder.build({ [`${action}Response`]: body }) as string;
}

/** An `ErrorResponse` as the STS and IAM models define it. */
export function queryError(service: keyof typeof NAMESPACES, error: AwsApiError, requestId: string): string {
  return builder.build({
    ErrorResponse: {
      '@_xmlns': NAMESPACES[service],
      Error: { Type: error.status >= 500 ? 'Receiver' : 'Sender', Code: error.code, Message: error.message },
      RequestId: requestId,
    },
  }) as string;
}
