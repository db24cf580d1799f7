import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ulid } from 'ulid';
import { E2eStack, CUSTOMER, CUSTOMER_ADMIN, WORKER_ID, WORKER_POOL } from './support/stack.harness';
import { ROOT } from './support/service.process';

// `runtrail exec` against the real stack: nats-server, the aws-emulator, and oidc-issuer, the
// credential broker, integrations and verifier as processes of the build. Every caller, integration
// and attachment is made through the integrations REST API, as a user would, and verified first.
let stack: E2eStack;
let secretsDir: string;

/** A child command that keeps the secrets it got (in a file, for the leak scan) and asks AWS who it is. */
function whoAmI(tag: string): string[] {
  return [
    'sh',
    '-c',
    `printf '%s\\n%s\\n' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" > ${secretsDir}/${tag}; exec /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity --output json`,
  ];
}

function publishArgs(runId: string, callerId: string, slug = 'network', runType = 'TRACKED'): string[] {
  return [
    '--run',
    runId,
    '--worker',
    WORKER_ID,
    '--publish-phases',
    '--account',
    'acme',
    '--stack',
    callerId,
    '--caller-slug',
    slug,
    '--run-type',
    runType,
    '--timeout',
    '20',
  ];
}

async function trailParams(runId: string): Promise<Array<Record<string, unknown>>> {
  return stack.emulator
    .events(CUSTOMER)
    .filter((e) => e.eventName === 'AssumeRole' && JSON.stringify(e.requestParameters ?? {}).includes(runId))
    .map((e) => e.requestParameters ?? {});
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  stack = await E2eStack.start({ integrations: 'real' });
  secretsDir = join(stack.dataDir, 'secrets');
  mkdirSync(secretsDir);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('runtrail exec on the real stack', () => {
  it('runs /usr/bin/aws as the assumed role, session <runId>@<callerSlug>@<account>; plan used the read external id, apply the write one', async () => {
    const { callerId, integrations } = await stack.register(['platform'], 'network', {
      sourceIdentity: true,
    });
    const runId = ulid();
    const result = await stack.exec([...publishArgs(runId, callerId), '--', ...whoAmI('platform')]);

    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining('APPLYING: running the command as'),
    });
    // As the harness runs every exec: the pool user of the shipped auth.conf, on its pinned consumer.
    expect(result.stderr).not.toMatch(/no authentication|Permissions Violation/);
    const identity = JSON.parse(result.stdout) as { Arn: string; Account: string };
    expect(identity.Arn).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-demo/${runId}@network@acme`);
    const params = await trailParams(runId);
    const externalIds = params.map((p) => p['externalId']);
    expect(externalIds).toEqual([
      `acme@${integrations[0]!.id}@network@read`,
      `acme@${integrations[0]!.id}@network@write`,
    ]);
    expect(params[1]).toMatchObject({
      sourceIdentity: runId,
      roleSessionName: `${runId}@network@acme`,
      durationSeconds: 900,
    });

    const issued = (await stack.streamMessages('CREDENTIALS', 'credentials.v1.issued')).map(
      (m) => JSON.parse(m.data) as Record<string, unknown>,
    );
    const mine = issued.filter((e) => e['runId'] === runId);
    expect(mine.map((e) => [e['phase'], e['scope'], e['mode'], e['refresh'], e['sourceIdentity']])).toEqual([
      ['PLANNING', 'read', 'platform', 0, runId],
      ['APPLYING', 'write', 'platform', 0, runId],
    ]);
    const phases = (await stack.streamMessages('RUNS', `runs.v1.phase.${runId}`)).map(
      (m) => (JSON.parse(m.data) as { phase: string }).phase,
    );
    expect(phases).toEqual(['QUEUED', 'INITIALIZING', 'PLANNING', 'APPLYING', 'FINISHED']);
  });

  it('works in OIDC mode: a runtrail token, AssumeRoleWithWebIdentity, the token file for the SDKs, and the run in the environment', async () => {
    const { callerId, slug } = await stack.register(['oidc'], 'network-oidc');
    const runId = ulid();
    const result = await stack.exec([
      ...publishArgs(runId, callerId, slug, 'TASK'),
      '--',
      'sh',
      '-c',
      `printf '%s\\n%s\\n%s\\n' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")" > ${secretsDir}/oidc; ` +
        'echo "run=$TF_VAR_runtrail_run_id id=$RUNTRAIL_RUN_ID caller=$RUNTRAIL_CALLER_TYPE/$RUNTRAIL_CALLER_SLUG space=$RUNTRAIL_SPACE_ID type=$RUNTRAIL_RUN_TYPE"; ' +
        'test -s "$AWS_WEB_IDENTITY_TOKEN_FILE" && echo "role=$AWS_ROLE_ARN" && exec /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity --output json',
    ]);

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(result.stdout).toContain(`role=arn:aws:iam::${CUSTOMER}:role/runtrail-oidc`);
    expect(result.stdout).toContain(
      `"Arn": "arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-oidc/${runId}@${slug}@acme"`,
    );
    // What a chained Terraform provider needs for session_name = var.runtrail_run_id (README).
    expect(result.stdout).toContain(`run=${runId} id=${runId} caller=stack/${slug} space=root type=TASK\n`);
    // exec knew the run from its flags here; a scheduler-driven exec reads it from the delivery.
    const [delivery] = (await stack.streamMessages('DELIVERIES', `deliveries.v1.${WORKER_ID}.${runId}`)).map(
      (m) => JSON.parse(m.data) as Record<string, unknown>,
    );
    expect(delivery).toMatchObject({ caller: { type: 'stack', slug }, spaceId: 'root', runType: 'TASK' });
  });

  it('works in worker mode: the worker assumes the role with its own identity and the broker-chosen parameters', async () => {
    const { callerId, slug, integrations } = await stack.register(['worker'], 'network-worker');
    const runId = ulid();
    const result = await stack.exec([
      ...publishArgs(runId, callerId, slug, 'PROPOSED'),
      '--',
      ...whoAmI('worker'),
    ]);

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(JSON.parse(result.stdout)).toMatchObject({
      Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-worker/${runId}@${slug}@acme`,
    });
    const call = stack.emulator
      .events(CUSTOMER)
      .find((e) => e.eventName === 'AssumeRole' && JSON.stringify(e.requestParameters).includes(runId));
    expect(call?.userIdentity).toMatchObject({ arn: `arn:aws:iam::${CUSTOMER}:user/admin` });
    expect(call?.requestParameters).toMatchObject({ externalId: `acme@${integrations[0]!.id}@${slug}@read` });
    // The integration did not opt in to SourceIdentity: the broker's parameters carry none, so exec sends none.
    expect(call?.requestParameters).not.toHaveProperty('sourceIdentity');
  });

  it('reports a caller with no attachment for the scope as a clear failure, and does not run the command', async () => {
    const callerId = await stack.api.registerStack('lonely');
    const runId = ulid();
    const result = await stack.exec([
      ...publishArgs(runId, callerId, 'lonely'),
      '--',
      'sh',
      '-c',
      'echo ran',
    ]);

    expect(result.code).toBe(3);
    expect(result.stdout).not.toContain('ran');
    expect(result.stderr).toContain(
      `no integration attached for scope read to stack lonely (${callerId}) in account acme`,
    );
    const failed = (await stack.streamMessages('CREDENTIALS', 'credentials.v1.failed')).map(
      (m) => JSON.parse(m.data) as Record<string, unknown>,
    );
    expect(failed.find((f) => f['runId'] === runId)).toMatchObject({
      phase: 'PLANNING',
      scope: 'read',
      integrationId: null,
      code: 'NOT_FOUND',
    });
  });

  it('reports what AWS refused, precisely: a role that does not trust runtrail, a duration above the role maximum', async () => {
    // integrations refuses to save either (the verifier tries the role first), so both roles are
    // fine when saved and broken afterwards in IAM, as a customer may do: one deleted, one recreated
    // with a lower maximum session duration.
    const callerId = await stack.api.registerStack('refused');
    const [doomedRole, longRole] = [`runtrail-doomed-${ulid()}`, `runtrail-long-${ulid()}`];
    const saved = {
      mode: 'platform' as const,
      durationSeconds: 900,
      region: 'us-east-1',
      sessionTagging: true,
    };
    const missing = await stack.api.createIntegration({
      ...saved,
      name: 'refused-missing',
      roleArn: await stack.iam.createPlatformRole(doomedRole, 3600),
    });
    const tooLong = await stack.api.createIntegration({
      ...saved,
      name: 'refused-too-long',
      roleArn: await stack.iam.createPlatformRole(longRole, 7200),
      durationSeconds: 7200,
    });
    for (const i of [missing, tooLong]) await stack.api.attach(i.id, callerId);
    await stack.iam.deleteRole(doomedRole);
    await stack.iam.deleteRole(longRole);
    await stack.iam.createPlatformRole(longRole, 3600);
    const runId = ulid();
    const result = await stack.exec([...publishArgs(runId, callerId, 'refused', 'PROPOSED'), '--', 'true']);

    expect(result.code).toBe(3);
    // exec stops at the first refusal; the broker reports each integration's.
    type Failed = { runId: string; integrationId: string; code: string; reason: string };
    let failed: Failed[] = [];
    for (let tries = 0; failed.length < 2 && tries < 50; tries++) {
      if (tries) await new Promise((r) => setTimeout(r, 100));
      failed = (await stack.streamMessages('CREDENTIALS', 'credentials.v1.failed'))
        .map((m) => JSON.parse(m.data) as Failed)
        .filter((f) => f.runId === runId);
    }
    expect(failed.find((f) => f.integrationId === missing.id)).toMatchObject({
      code: 'ACCESS_DENIED',
      reason: expect.stringContaining(
        `AWS refused AssumeRole on ${missing.roleArn}: the role does not exist or its trust policy does not allow runtrail with sts:ExternalId "acme@${missing.id}@refused@read"`,
      ),
    });
    expect(failed.find((f) => f.integrationId === tooLong.id)).toMatchObject({
      code: 'VALIDATION_FAILED',
      reason: expect.stringContaining(
        "the integration's duration 7200 s is above the role's maximum session duration",
      ),
    });
  });

  it('masks every secret the command prints, also when it is split across writes', async () => {
    const { callerId, slug } = await stack.register(['platform'], 'masked');
    const runId = ulid();
    const script = [
      `printf '%s\\n%s\\n' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" > ${secretsDir}/masked`,
      'echo "secret=$AWS_SECRET_ACCESS_KEY"',
      'echo "token=$AWS_SESSION_TOKEN" >&2',
      // The first half, a pause, then the rest: two separate chunks on the pipe.
      'printf "%s" "$(echo "$AWS_SECRET_ACCESS_KEY" | cut -c1-17)"; sleep 0.2; echo "$AWS_SECRET_ACCESS_KEY" | cut -c18-',
      'echo "length=${#AWS_SECRET_ACCESS_KEY} id=$AWS_ACCESS_KEY_ID"',
    ].join('; ');
    const result = await stack.exec([...publishArgs(runId, callerId, slug), '--', 'sh', '-c', script]);

    expect(result.code).toBe(0);
    const [secret, token] = readFileSync(join(secretsDir, 'masked'), 'utf8').trim().split('\n');
    expect(result.stdout).toMatch(/^secret=\*\*\*\n\*\*\*\nlength=40 id=ASIA[A-Z0-9]{16}\n$/);
    expect(result.stderr).toContain('token=***');
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret!.slice(0, 17));
    expect(`${result.stdout}${result.stderr}`).not.toContain(token!.slice(0, 40));
  });

  it("exits with the command's exit code and reports the run FAILED", async () => {
    const { callerId, slug } = await stack.register(['platform'], 'failing');
    const runId = ulid();
    const result = await stack.exec([...publishArgs(runId, callerId, slug), '--', 'sh', '-c', 'exit 7']);

    expect(result.code).toBe(7);
    const phases = (await stack.streamMessages('RUNS', `runs.v1.phase.${runId}`)).map(
      (m) => (JSON.parse(m.data) as { phase: string }).phase,
    );
    expect(phases.at(-1)).toBe('FAILED');
  });

  it("takes account and space from runtrail's registry, not from the scheduler's flags", async () => {
    const { callerId, slug } = await stack.register(['platform'], 'registry-decides');
    const runId = ulid();
    const forgedSpace = await stack.exec([
      ...publishArgs(runId, callerId, slug, 'PROPOSED'),
      '--space',
      'dev',
      '--',
      'sh',
      '-c',
      'echo "space=$RUNTRAIL_SPACE_ID"',
    ]);
    expect(forgedSpace.code).toBe(0);
    expect(forgedSpace.stdout).toContain('space=root');
    expect(forgedSpace.stderr).toContain('--space dev ignored');
    const spaces = (await stack.streamMessages('RUNS', `runs.v1.phase.${runId}`)).map(
      (m) => (JSON.parse(m.data) as { spaceId: string }).spaceId,
    );
    expect(new Set(spaces)).toEqual(new Set(['root']));

    const otherAccount = await stack.exec([
      ...publishArgs(ulid(), callerId, slug, 'PROPOSED').map((a) => (a === 'acme' ? 'globex' : a)),
      '--',
      'true',
    ]);
    expect(otherAccount.code).not.toBe(0);
    expect(otherAccount.stderr).toContain('--account globex: the API key belongs to account acme');
  });

  it("keeps the command away from the worker's own AWS identity (~/.aws, AWS_SHARED_CREDENTIALS_FILE, IMDS) and its NATS/runtrail secrets", async () => {
    const { callerId, slug } = await stack.register(['platform'], 'isolated');
    // The worker's identity as a real admin key of the customer's account: a fallback would work.
    const home = join(stack.dataDir, 'worker-home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    const profile = `aws_access_key_id = ${CUSTOMER_ADMIN.accessKeyId}\naws_secret_access_key = ${CUSTOMER_ADMIN.secretAccessKey}\n`;
    writeFileSync(join(home, '.aws', 'credentials'), `[default]\n${profile}[worker]\n${profile}`);
    writeFileSync(
      join(home, '.aws', 'config'),
      '[default]\nregion = us-east-1\n[profile worker]\nregion = us-east-1\n',
    );
    const workerCredentials = join(stack.dataDir, 'worker-credentials');
    writeFileSync(workerCredentials, `[default]\n${profile}`);
    const script = [
      'echo "files=$AWS_CONFIG_FILE|$AWS_SHARED_CREDENTIALS_FILE imds=$AWS_EC2_METADATA_DISABLED"',
      'echo "--- files"; cat "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE"',
      'echo "--- env"; env',
      'echo "--- profile"; /usr/bin/aws configure list --profile worker 2>&1',
      // Without the run's credentials, the AWS CLI must find nothing to fall back to.
      'echo "--- bare"; env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN -u AWS_CONTAINER_CREDENTIALS_FULL_URI /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity 2>&1',
      'echo "--- identity"; exec /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity --output json',
    ].join('; ');
    const runId = ulid();
    const result = await stack.exec([...publishArgs(runId, callerId, slug), '--', 'sh', '-c', script], {
      HOME: home,
      AWS_SHARED_CREDENTIALS_FILE: workerCredentials,
      // Any NATS_* goes (the harness's NATS_URL too); RUNTRAIL_API_KEY is the scheduler key exec is given.
      NATS_E2E_WORKER_SECRET: 'worker-nats-secret',
    });

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const sections = new Map<string, string[]>();
    let current: string[] = [];
    for (const line of result.stdout.split('\n')) {
      const header = /^--- (\w+)$/.exec(line);
      if (header) sections.set(header[1]!, (current = []));
      else current.push(line);
    }
    const section = (name: string): string => (sections.get(name) ?? []).join('\n').trim();
    const [, configFile, credentialsFile] = /^files=(\S+)\|(\S+) imds=true$/m.exec(result.stdout) ?? [];
    expect(dirname(configFile!)).toBe(dirname(credentialsFile!));
    expect(dirname(configFile!)).not.toBe(home);
    expect(section('files')).toBe('');
    const env = section('env').split('\n');
    expect(env.filter((line) => /^(NATS_|RUNTRAIL_API_KEY=)/.test(line))).toEqual([]);
    expect(section('env')).not.toContain(workerCredentials);
    expect(section('env')).not.toContain('worker-nats-secret');
    expect(section('env')).not.toContain(stack.nats.login(WORKER_POOL).NATS_PASSWORD);
    expect(section('profile')).toContain('The config profile (worker) could not be found');
    expect(section('bare')).toContain('Unable to locate credentials');
    expect(result.stdout).not.toContain(CUSTOMER_ADMIN.accessKeyId.slice(-4));
    expect(JSON.parse(section('identity'))).toMatchObject({
      Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-demo/${runId}@${slug}@acme`,
    });
    // The run's private files are gone once exec has exited.
    expect(existsSync(dirname(configFile!))).toBe(false);
  });

  it('starts without loading Nest, rxjs or OpenTelemetry\'s SDK (one exec per run and phase: its start-up is every run\'s)', () => {
    const report = join(stack.dataDir, 'loaded-modules.js');
    writeFileSync(
      report,
      `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache).filter((p) => /node_modules\\/(@nestjs|rxjs|@opentelemetry\\/(sdk-|exporter-|instrumentation))/.test(p)).map((p) => p.split('node_modules/').pop()))));`,
    );
    const usage = spawnSync(process.execPath, ['--require', report, join(ROOT, 'dist/apps/cli/src/main.js'), 'exec', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    });
    expect(usage.stdout + usage.stderr).toContain('runtrail exec');
    expect(JSON.parse(/LOADED (.*)$/m.exec(usage.stderr)![1]!)).toEqual([]);
  });

  it('never writes an issued secret to a log line, an event or a database row', async () => {
    const dumpOf = (path: string): string => {
      const dump = spawnSync('sqlite3', [path, '.dump'], { encoding: 'utf8' });
      return dump.status === 0 ? dump.stdout : readFileSync(path, 'latin1');
    };
    const secrets = readdirSync(secretsDir).flatMap((f) =>
      readFileSync(join(secretsDir, f), 'utf8').trim().split('\n'),
    );
    // platform, worker, masked: key + token each; OIDC: key, token and the web identity token.
    expect(secrets.length).toBe(9);
    const logs = [
      ...stack.brokers.map((b) => b.text),
      ...stack.services.map((s) => s.text),
      stack.issuer.text,
      ...stack.execOutputs,
    ].join('\n');
    const events: string[] = [];
    for (const stream of ['RUNS', 'CREDENTIALS', 'DELIVERIES', 'DLQ']) {
      events.push(...(await stack.streamMessages(stream)).map((m) => m.data));
    }
    const rows = dumpOf(stack.brokerDatabaseUrl.replace(/^sqlite:/, ''));
    const integrationRows = dumpOf(stack.integrationsDatabasePath);
    // sqlite3's dump reads through the write-ahead log: the ledger's rows (public key ids) are in it.
    expect(rows).toMatch(/INSERT INTO issuance VALUES\(.*'ASIA[A-Z0-9]{16}'/);
    // ... and the integrations the tests created through the API are in the integrations database.
    expect(integrationRows).toContain('network-worker');
    expect(stack.services.map((s) => s.name)).toEqual(['verifier', 'integrations']);
    // The scan covers what it should: issuance metadata (public access key ids) is there, secrets are not.
    expect(events.some((e) => /"accessKeyId":"ASIA/.test(e))).toBe(true);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      expect(logs.includes(secret)).toBe(false);
      expect(events.some((e) => e.includes(secret))).toBe(false);
      expect(rows.includes(secret)).toBe(false);
      expect(integrationRows.includes(secret)).toBe(false);
    }
  });
});
