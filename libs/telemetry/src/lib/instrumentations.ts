// Loaded before Nest: keep this file's imports to OpenTelemetry packages only.
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AwsInstrumentation, type AwsSdkRequestHookInformation } from '@opentelemetry/instrumentation-aws-sdk';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

/** Requests nobody needs a span of: probes and scrapes. */
const UNTRACED = /^\/(health\/|metrics(\?|$))/;

/**
 * The AWS request fields put on a span, by name: which role and session a call is about. Nothing
 * else of a request is recorded: web identity tokens, policies and credentials never are, and
 * responses (where STS puts the secret key and session token) are not read at all.
 */
const AWS_INPUT_ATTRIBUTES: Record<string, string> = {
  RoleArn: 'aws.sts.role_arn',
  RoleSessionName: 'aws.sts.role_session_name',
  DurationSeconds: 'aws.sts.duration_seconds',
  Bucket: 'aws.s3.bucket',
  Prefix: 'aws.s3.prefix',
  Key: 'aws.s3.key',
};

/** Adds the non-secret identifiers of an AWS SDK request (see {@link AWS_INPUT_ATTRIBUTES}). */
export function awsRequestAttributes(span: Span, { request }: AwsSdkRequestHookInformation): void {
  for (const [field, attribute] of Object.entries(AWS_INPUT_ATTRIBUTES)) {
    const value: unknown = request.commandInput?.[field];
    if (typeof value === 'string' || typeof value === 'number') span.setAttribute(attribute, value);
  }
}

/**
 * The instrumentations a runtrail process registers. Always HTTP server and client
 * (`http.server.request.duration` per route and status for `/metrics`, and an incoming
 * `traceparent` passed on) with Express (the route). When spans are exported (`traced`), also AWS
 * SDK v3 clients (STS, CloudTrail, S3) and PostgreSQL: their spans are of no use otherwise, and
 * their module hooks cost start-up time. No header is ever captured (Authorization carries API keys
 * and SigV4 signatures); pg statements are recorded without their parameter values.
 */
export function runtrailInstrumentations(traced: boolean): Instrumentation[] {
  const always: Instrumentation[] = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => UNTRACED.test(req.url ?? ''),
      headersToSpanAttributes: { client: { requestHeaders: [], responseHeaders: [] }, server: { requestHeaders: [], responseHeaders: [] } },
    }),
    // Router and route handler layers only: enough for `http.route`, without a span per middleware.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
  ];
  if (!traced) return always;
  return [
    ...always,
    new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
    new AwsInstrumentation({ suppressInternalInstrumentation: true, preRequestHook: awsRequestAttributes }),
  ];
}
