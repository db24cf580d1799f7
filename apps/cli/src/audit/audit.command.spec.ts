import { capturedIo, problem, startApiStub, type StubRequest } from '../api/api-stub.testing';
import { CommandUsageError } from '../output/cli-io';
import { auditCommand } from './audit.command';

const RUN = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const KEY = 'rtk.01JKEY0000000000000000000.s3cr3t';

function event(i: number, over: Record<string, unknown> = {}) {
  return {
    eventId: `e${i}`,
    eventTime: `2026-12-02T05:0${i % 10}:00.000Z`,
    eventName: 'CreateRole',
    eventSource: 'iam.amazonaws.com',
    awsAccountId: '222222222222',
    principalArn: `arn:aws:sts::222222222222:assumed-role/runtrail-demo/${RUN}@network@acme`,
    errorCode: null,
    resources: [`arn:aws:iam::222222222222:role/app-${i}`],
    runId: RUN,
    callerId: 'stack-1',
    link: 'access_key',
    ...over,
  };
}

/** A list of `total` items served `limit` at a time, the cursor being the next index. */
function paged(request: StubRequest, total: number, item: (i: number) => unknown) {
  const from = Number(request.query.get('cursor') ?? 0);
  const limit = Number(request.query.get('limit'));
  const items = Array.from({ length: Math.max(0, Math.min(limit, total - from)) }, (_, k) => item(from + k));
  return { items, nextCursor: from + items.length < total ? String(from + items.length) : null };
}

const timeline = (request: StubRequest) => ({
  run: {
    runId: RUN,
    account: 'acme',
    spaceId: 'root',
    callerType: 'stack',
    callerId: 'stack-1',
    callerSlug: 'network',
    runType: 'TRACKED',
    endedAt: '2026-12-02T05:09:00.000Z',
    endPhase: 'FINISHED',
  },
  phases: [
    { phase: 'PLANNING', at: '2026-12-02T05:00:00.000Z' },
    { phase: 'APPLYING', at: '2026-12-02T05:01:00.000Z' },
  ],
  issuances: [
    {
      integrationId: 'i1',
      roleArn: 'arn:aws:iam::222222222222:role/runtrail-demo',
      phase: 'APPLYING',
      scope: 'write',
      mode: 'platform',
      sessionName: `${RUN}@network@acme`,
      issuedAt: '2026-12-02T05:01:00.000Z',
      expiresAt: '2026-12-02T06:01:00.000Z',
      seenInTrail: true,
    },
  ],
  events: paged(request, 3, (i) =>
    event(
      i,
      i === 0
        ? {
            eventName: 'AssumeRole',
            eventSource: 'sts.amazonaws.com',
            requestParameters: { roleArn: 'r', externalId: 'acme@i1@network@write' },
          }
        : {},
    ),
  ),
});

describe('runtrail audit (against a local HTTP stand-in for the API)', () => {
  let stub: Awaited<ReturnType<typeof startApiStub>>;
  let env: NodeJS.ProcessEnv;
  let route: (request: StubRequest) => { status: number; body?: unknown; type?: string };

  beforeAll(async () => {
    stub = await startApiStub((request) => route(request));
  });
  beforeEach(() => {
    env = { RUNTRAIL_URL: stub.url, RUNTRAIL_API_KEY: KEY };
    stub.requests.length = 0;
  });
  afterAll(() => stub.close());

  it("prints a run's timeline as tables, following the events' cursor, with the key as a bearer token", async () => {
    route = (request) =>
      request.path === `/v1/audit/runs/${RUN}/timeline`
        ? { status: 200, body: timeline(request) }
        : problem(404, 'no route');
    const io = capturedIo();
    await expect(auditCommand(['timeline', RUN, '--limit', '2'], env, io)).resolves.toBe(0);
    expect(stub.requests.map((r) => r.authorization)).toEqual([`Bearer ${KEY}`]);
    expect(io.out()).toMatch(/run 01J\S+ {2}TRACKED {2}stack network/);
    expect(io.out()).toMatch(/ISSUED\s+PHASE\s+SCOPE\s+MODE\s+ROLE\s+SESSION\s+IN TRAIL/);
    expect(io.out()).toMatch(/RESOURCES\s+EXTERNAL ID\s+LINK/);
    expect(io.out()).toMatch(/sts:AssumeRole.*acme@i1@network@write/);
    expect(io.out()).toMatch(/AWS calls \(2, more with a higher --limit\)/);

    const all = capturedIo();
    await auditCommand(['timeline', RUN], env, all);
    expect(all.out()).toMatch(/iam:CreateRole.*role\/app-2/);
    expect(all.out()).toContain('AWS calls (3)');

    route = (request) => ({
      status: 200,
      body: { ...timeline(request), events: { items: [], nextCursor: null } },
    });
    const none = capturedIo();
    await auditCommand(['timeline', RUN], env, none);
    expect(none.out()).toMatch(/IN TRAIL\n.*yes\n\nAWS calls: none in the trail yet\n$/);
  });

  it('--json prints the API JSON with every page of events merged, and nothing else', async () => {
    route = (request) => ({ status: 200, body: timeline(request) });
    stub.requests.length = 0;
    const io = capturedIo(true);
    await auditCommand(['timeline', RUN, '--json'], env, io);
    const parsed = JSON.parse(io.out()) as {
      run: { runId: string };
      events: { items: Array<{ eventId: string }>; nextCursor: null };
    };
    expect(parsed.run.runId).toBe(RUN);
    expect(parsed.events).toEqual({
      items: [expect.objectContaining({ eventId: 'e0' }), expect.anything(), expect.anything()],
      nextCursor: null,
    });
  });

  it('who-changed pages through the changes, with progress on a terminal stderr only', async () => {
    route = (request) => ({ status: 200, body: paged(request, 2300, (i) => event(i)) });
    const tty = capturedIo(true);
    await auditCommand(['who-changed', 'arn:aws:iam::222222222222:role/app', '--json'], env, tty);
    expect(
      stub.requests.map((r) => [r.query.get('resource'), r.query.get('cursor'), r.query.get('limit')]),
    ).toEqual([
      ['arn:aws:iam::222222222222:role/app', null, '1000'],
      ['arn:aws:iam::222222222222:role/app', '1000', '1000'],
      ['arn:aws:iam::222222222222:role/app', '2000', '1000'],
    ]);
    expect((JSON.parse(tty.out()) as { items: unknown[] }).items).toHaveLength(2300);
    expect(tty.err()).toContain('fetched 1000 changes…');
    expect(tty.err()).toContain('fetched 2300 changes');

    const piped = capturedIo(false);
    await auditCommand(['who-changed', 'app', '--limit', '1500'], env, piped);
    expect(piped.err()).toBe('');
    expect(piped.out().trim().split('\n')).toHaveLength(1501);
    expect(piped.out()).toMatch(
      /^TIME\s+CALL\s+RUN\s+CALLER\s+PRINCIPAL\s+ERROR\n2026-\S+\s+iam:CreateRole\s+01J/,
    );
  });

  it('findings passes its filters and says so when there are none', async () => {
    route = () => ({ status: 200, body: { items: [], nextCursor: null } });
    stub.requests.length = 0;
    const io = capturedIo();
    await auditCommand(
      ['findings', '--kind', 'used_after_run_ended', '--run', RUN, '--from', '2026-12-01T00:00:00Z'],
      env,
      io,
    );
    expect(Object.fromEntries(stub.requests[0]?.query ?? [])).toEqual({
      kind: 'used_after_run_ended',
      runId: RUN,
      from: '2026-12-01T00:00:00Z',
      limit: '1000',
    });
    expect(io.out()).toBe('no findings\n');

    route = () => ({
      status: 200,
      body: {
        items: [
          {
            id: 'f1',
            kind: 'denied_assume_role',
            severity: 'high',
            runId: null,
            roleArn: 'arn:aws:iam::2:role/x',
            awsAccountId: '2',
            message: 'refused',
            detectedAt: 'now',
          },
        ],
        nextCursor: null,
      },
    });
    const rows = capturedIo();
    await auditCommand(['findings'], env, rows);
    expect(rows.out()).toMatch(
      /DETECTED\s+SEVERITY\s+KIND\s+RUN\s+ROLE\s+MESSAGE\nnow\s+high\s+denied_assume_role\s+-\s+arn/,
    );
  });

  it("an HTTP error fails with the problem's detail and never the key", async () => {
    route = () => problem(404, `run ${RUN}: no such run in account acme`);
    const error = await auditCommand(['timeline', RUN], env, capturedIo()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CommandUsageError);
    expect((error as Error).message).toBe(
      `GET /v1/audit/runs/${RUN}/timeline answered 404: run ${RUN}: no such run in account acme`,
    );
    expect((error as Error).message).not.toContain('s3cr3t');
  });

  it('usage mistakes are usage errors: the missing key named, a bad run id, an option of another command', async () => {
    const usage = (args: string[], e: NodeJS.ProcessEnv = env) => auditCommand(args, e, capturedIo());
    await expect(usage(['findings'], { RUNTRAIL_URL: stub.url })).rejects.toThrow(
      new CommandUsageError(
        'RUNTRAIL_API_KEY is not set: runtrail audit needs an API key of the account (rtk.<id>.<secret>)',
      ),
    );
    await expect(usage(['timeline', 'not-a-run'])).rejects.toThrow(/<runId>: must be a ULID/);
    await expect(usage(['timeline'])).rejects.toThrow(/takes one argument: the run id/);
    await expect(usage(['who-changed', 'x', '--kind', 'denied_assume_role'])).rejects.toThrow(
      /--kind is not an option of audit who-changed/,
    );
    await expect(usage(['findings', '--kind', 'nope'])).rejects.toThrow(/--kind: must be one of/);
    await expect(usage(['findings', '--limit', '0'])).rejects.toThrow(/--limit: must be positive/);
    await expect(usage(['nope'])).rejects.toThrow(/unknown audit command "nope"/);
    expect(stub.requests).toHaveLength(0);
  });
});
