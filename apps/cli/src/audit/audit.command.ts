import { parseArgs } from 'node:util';
import {
  FINDING_KINDS,
  ulid,
  type EventView,
  type FindingRaised,
  type Page,
  type RunTimeline,
} from '@runtrail/contracts';
import { z } from 'zod';
import { fetchAll } from '../api/pages';
import { apiConnectionOf, RuntrailApiClient } from '../api/runtrail-api.client';
import { CommandUsageError, type CliIo } from '../output/cli-io';
import { table } from '../output/table';
import { callName, externalIdOf } from './audit-views';

export const AUDIT_USAGE = `usage: runtrail audit timeline <runId> [--json] [--limit <n>]
       runtrail audit who-changed <arn-or-name> [--json] [--limit <n>]
       runtrail audit findings [--kind <kind>] [--run <runId>] [--from <iso>] [--to <iso>] [--json] [--limit <n>]
  Calls audit's query API at RUNTRAIL_URL (default http://127.0.0.1:8080) with RUNTRAIL_API_KEY.
  Tables by default; --json prints the API's JSON with every page followed (--limit caps the rows).
  Finding kinds: ${FINDING_KINDS.join(', ')}.`;

const flags = {
  json: { type: 'boolean' },
  limit: { type: 'string' },
  kind: { type: 'string' },
  run: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

const options = z.object({
  json: z.boolean().default(false),
  limit: z.coerce
    .number()
    .int('--limit: must be a whole number')
    .positive('--limit: must be positive')
    .optional(),
  kind: z.enum(FINDING_KINDS, { message: `--kind: must be one of ${FINDING_KINDS.join(', ')}` }).optional(),
  run: ulid.optional(),
  from: z.iso.datetime({ offset: true, message: '--from: must be an ISO 8601 date-time' }).optional(),
  to: z.iso.datetime({ offset: true, message: '--to: must be an ISO 8601 date-time' }).optional(),
});
type AuditOptions = z.infer<typeof options>;

/** `runtrail audit <timeline|who-changed|findings> ...`; returns the exit code. */
export async function auditCommand(args: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest);
  const parsed = options.safeParse(values);
  if (!parsed.success) throw new CommandUsageError(parsed.error.issues[0]?.message ?? 'invalid option');
  const only = (allowed: Array<keyof AuditOptions>) => {
    const extra = Object.keys(values).find((k) => !['json', 'limit', ...allowed].includes(k));
    if (extra) throw new CommandUsageError(`--${extra} is not an option of audit ${sub}`);
  };
  const target = (what: string) => {
    if (positionals.length !== 1) throw new CommandUsageError(`audit ${sub} takes one argument: ${what}`);
    return positionals[0] as string;
  };
  if (sub === 'timeline') {
    only([]);
    const runId = ulid.safeParse(target('the run id'));
    if (!runId.success)
      throw new CommandUsageError(`<runId>: ${runId.error.issues[0]?.message ?? 'invalid'}`);
    return timeline(client(env), runId.data, parsed.data, io);
  }
  if (sub === 'who-changed') {
    only([]);
    return whoChanged(client(env), target('a resource ARN or name'), parsed.data, io);
  }
  if (sub === 'findings') {
    only(['kind', 'run', 'from', 'to']);
    if (positionals.length) throw new CommandUsageError('audit findings takes no arguments, only options');
    return findings(client(env), parsed.data, io);
  }
  throw new CommandUsageError(sub ? `unknown audit command "${sub}"` : 'which audit command?');
}

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: flags, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CommandUsageError((error as Error).message);
  }
}

function client(env: NodeJS.ProcessEnv): RuntrailApiClient {
  try {
    return new RuntrailApiClient(
      apiConnectionOf(env, 'runtrail audit needs an API key of the account (rtk.<id>.<secret>)'),
    );
  } catch (error) {
    throw new CommandUsageError((error as Error).message);
  }
}

async function timeline(api: RuntrailApiClient, runId: string, o: AuditOptions, io: CliIo): Promise<number> {
  let first: RunTimeline | undefined;
  const events = await fetchAll<EventView>(
    async (cursor, limit) => {
      const answer = await api.get<RunTimeline>(`/v1/audit/runs/${runId}/timeline`, { cursor, limit });
      first ??= answer;
      return answer.events;
    },
    { max: o.limit, noun: 'events', io },
  );
  const t = { ...(first as RunTimeline), events };
  if (o.json) {
    io.stdout(`${JSON.stringify(t, null, 2)}\n`);
    return 0;
  }
  const r = t.run;
  io.stdout(
    `run ${r.runId}  ${r.runType}  ${r.callerType} ${r.callerSlug} (${r.callerId})  account ${r.account}  space ${r.spaceId}\n` +
      `${r.endedAt ? `ended ${r.endedAt} (${r.endPhase ?? '?'})` : 'not ended'}\n\nphases\n`,
  );
  io.stdout(
    table(
      ['AT', 'PHASE'],
      t.phases.map((p) => [p.at, p.phase]),
    ),
  );
  io.stdout('\nissuances\n');
  io.stdout(
    table(
      ['ISSUED', 'PHASE', 'SCOPE', 'MODE', 'ROLE', 'SESSION', 'IN TRAIL'],
      t.issuances.map((i) => [
        i.issuedAt,
        i.phase,
        i.scope,
        i.mode,
        i.roleArn,
        i.sessionName,
        i.seenInTrail ? 'yes' : 'not yet',
      ]),
    ),
  );
  if (!events.items.length) {
    // The trail reaches audit after the calls (poller, log files, pushes): say so rather than print an empty table.
    io.stdout('\nAWS calls: none in the trail yet\n');
    return 0;
  }
  io.stdout(
    `\nAWS calls (${events.items.length}${events.nextCursor ? ', more with a higher --limit' : ''})\n`,
  );
  io.stdout(
    table(
      ['TIME', 'CALL', 'ACCOUNT', 'PRINCIPAL', 'RESOURCES', 'EXTERNAL ID', 'LINK', 'ERROR'],
      events.items.map((e) => [
        e.eventTime,
        callName(e),
        e.awsAccountId,
        e.principalArn,
        e.resources.join(' '),
        externalIdOf(e),
        e.link,
        e.errorCode,
      ]),
    ),
  );
  return 0;
}

async function whoChanged(
  api: RuntrailApiClient,
  resource: string,
  o: AuditOptions,
  io: CliIo,
): Promise<number> {
  const page = await fetchAll<EventView>(
    (cursor, limit) => api.get<Page<EventView>>('/v1/audit/changes', { resource, cursor, limit }),
    { max: o.limit, noun: 'changes', io },
  );
  if (o.json) return json(page, io);
  if (!page.items.length) {
    io.stdout(`no recorded change to ${resource}\n`);
    return 0;
  }
  io.stdout(
    table(
      ['TIME', 'CALL', 'RUN', 'CALLER', 'PRINCIPAL', 'ERROR'],
      page.items.map((e) => [
        e.eventTime,
        callName(e),
        e.runId ?? '(no run)',
        e.callerId,
        e.principalArn,
        e.errorCode,
      ]),
    ),
  );
  return 0;
}

async function findings(api: RuntrailApiClient, o: AuditOptions, io: CliIo): Promise<number> {
  const filter = { kind: o.kind, runId: o.run, from: o.from, to: o.to };
  const page = await fetchAll<FindingRaised>(
    (cursor, limit) => api.get<Page<FindingRaised>>('/v1/audit/findings', { ...filter, cursor, limit }),
    { max: o.limit, noun: 'findings', io },
  );
  if (o.json) return json(page, io);
  if (!page.items.length) {
    io.stdout('no findings\n');
    return 0;
  }
  io.stdout(
    table(
      ['DETECTED', 'SEVERITY', 'KIND', 'RUN', 'ROLE', 'MESSAGE'],
      page.items.map((f) => [f.detectedAt, f.severity, f.kind, f.runId, f.roleArn, f.message]),
    ),
  );
  return 0;
}

function json(value: unknown, io: CliIo): number {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}
