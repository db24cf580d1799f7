import { parseArgs } from 'node:util';
import {
  createTrailSourceBody,
  type CreateTrailSource,
  type Page,
  type TrailSourceView,
} from '@runtrail/contracts';
import { fetchAll } from '../api/pages';
import { ApiError, apiConnectionOf, RuntrailApiClient } from '../api/runtrail-api.client';
import { CommandUsageError, type CliIo } from '../output/cli-io';
import { table } from '../output/table';

export const TRAIL_SOURCES_USAGE = `usage: runtrail trail-sources add --aws-account <12 digits> --region <region> [--region ...] --role-arn <reader role ARN>
                                  [--bucket <s3 bucket> [--prefix <key prefix>]] [--json]
       runtrail trail-sources list [--json]
       runtrail trail-sources rm <sourceId>
  Audit reads the account's CloudTrail by assuming the reader role (LookupEvents, or the S3 bucket
  the trail delivers to). Needs an admin RUNTRAIL_API_KEY; RUNTRAIL_URL defaults to http://127.0.0.1:8080.`;

const PATH = '/v1/audit/trail-sources';

/** The flag each field of the body comes from, to name it in a complaint. */
const FLAG_OF: Record<string, string> = {
  awsAccountId: '--aws-account',
  regions: '--region',
  roleArn: '--role-arn',
  bucket: '--bucket',
  prefix: '--prefix',
};

const flags = {
  json: { type: 'boolean' },
  'aws-account': { type: 'string' },
  region: { type: 'string', multiple: true },
  'role-arn': { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
} as const;

/** `runtrail trail-sources add|list|rm`; returns the exit code. */
export async function trailSourcesCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<number> {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: flags, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CommandUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const json = values.json ?? false;
  if (sub === 'add') {
    if (positionals.length) throw new CommandUsageError('trail-sources add takes only options');
    const missing = (['aws-account', 'region', 'role-arn'] as const).filter((f) => values[f] === undefined);
    if (missing.length)
      throw new CommandUsageError(`trail-sources add needs ${missing.map((f) => `--${f}`).join(', ')}`);
    const body = createTrailSourceBody.safeParse({
      awsAccountId: values['aws-account'],
      regions: [
        ...new Set(
          (values.region ?? [])
            .flatMap((r) => r.split(','))
            .map((r) => r.trim())
            .filter(Boolean),
        ),
      ],
      roleArn: values['role-arn'],
      bucket: values.bucket,
      prefix: values.prefix,
    });
    if (!body.success) {
      const issue = body.error.issues[0];
      const flag = FLAG_OF[String(issue?.path[0])];
      throw new CommandUsageError(`${flag ? `${flag}: ` : ''}${issue?.message ?? 'invalid'}`);
    }
    return add(client(env), body.data, json, io);
  }
  const onlyJson = Object.keys(values).find((k) => k !== 'json');
  if (onlyJson) throw new CommandUsageError(`--${onlyJson} is an option of trail-sources add only`);
  if (sub === 'list') {
    if (positionals.length) throw new CommandUsageError('trail-sources list takes no arguments');
    return list(client(env), json, io);
  }
  if (sub === 'rm') {
    const [id] = positionals;
    if (positionals.length !== 1 || !id)
      throw new CommandUsageError('trail-sources rm takes one argument: the source id');
    await client(env).delete(`${PATH}/${encodeURIComponent(id)}`);
    io.stdout(json ? `${JSON.stringify({ id, removed: true })}\n` : `trail source ${id} removed\n`);
    return 0;
  }
  throw new CommandUsageError(
    sub ? `unknown trail-sources command "${sub}"` : 'which trail-sources command?',
  );
}

function client(env: NodeJS.ProcessEnv): RuntrailApiClient {
  try {
    return new RuntrailApiClient(
      apiConnectionOf(env, 'trail sources need an admin API key of the account (rtk.<id>.<secret>)'),
    );
  } catch (error) {
    throw new CommandUsageError((error as Error).message);
  }
}

async function add(
  api: RuntrailApiClient,
  body: CreateTrailSource,
  json: boolean,
  io: CliIo,
): Promise<number> {
  let source: TrailSourceView;
  try {
    source = await api.post<TrailSourceView>(PATH, body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 422 && error.problem)
      return refused(error, error.problem, json, io);
    throw error;
  }
  if (json) {
    io.stdout(`${JSON.stringify(source, null, 2)}\n`);
    return 0;
  }
  io.stdout(
    `trail source ${source.id} verified and saved: AWS account ${source.awsAccountId} (${source.regions.join(', ')}) ` +
      `through ${source.roleArn}${source.bucket ? `, S3 s3://${source.bucket}/${source.prefix ?? ''}` : ''}\n` +
      `external id: ${source.externalId}\n`,
  );
  return 0;
}

/**
 * A reader role that failed verification: every check, and the external id and statements to paste
 * into the role (on stdout with `--json`, for scripts; on stderr otherwise). Exit code 1.
 */
function refused(error: ApiError, problem: Record<string, unknown>, json: boolean, io: CliIo): number {
  if (json) {
    io.stdout(`${JSON.stringify(problem, null, 2)}\n`);
    return 1;
  }
  const lines = [`runtrail trail-sources: ${error.message}`];
  if (Array.isArray(problem['checks'])) {
    for (const c of problem['checks'] as Array<Record<string, unknown>>)
      lines.push(
        `  ${c['status'] === 'fail' ? 'FAIL' : 'ok  '} ${String(c['check'])}: ${String(c['message'] ?? '')}`,
      );
  }
  if (typeof problem['externalId'] === 'string') lines.push(`external id: ${problem['externalId']}`);
  for (const key of ['trustStatement', 'permissionStatements'])
    if (problem[key])
      lines.push(`${key} to paste into the reader role:`, JSON.stringify(problem[key], null, 2));
  io.stderr(`${lines.join('\n')}\n`);
  return 1;
}

async function list(api: RuntrailApiClient, json: boolean, io: CliIo): Promise<number> {
  // The list is short and unpaged today; a nextCursor, should it come, is followed.
  const page = await fetchAll<TrailSourceView>((cursor) => api.get<Page<TrailSourceView>>(PATH, { cursor }), {
    noun: 'trail sources',
    io,
  });
  if (json) {
    io.stdout(`${JSON.stringify(page, null, 2)}\n`);
    return 0;
  }
  if (!page.items.length) {
    io.stdout('no trail sources: add one with `runtrail trail-sources add`\n');
    return 0;
  }
  const rows = page.items.flatMap((s) =>
    s.regions.map((region) => {
      const h = s.health?.find((r) => r.region === region);
      return [
        s.id,
        s.awsAccountId,
        region,
        s.roleArn,
        s.bucket ? `s3://${s.bucket}/${s.prefix ?? ''}` : 'LookupEvents',
        h?.lastSuccessfulPollAt ?? 'never',
        h?.lagSeconds === null || h?.lagSeconds === undefined ? null : `${h.lagSeconds}s`,
        h?.eventsIngested ?? 0,
        h?.lastError,
      ];
    }),
  );
  io.stdout(
    table(['ID', 'AWS ACCOUNT', 'REGION', 'ROLE', 'READS', 'LAST POLL', 'LAG', 'EVENTS', 'LAST ERROR'], rows),
  );
  return 0;
}
