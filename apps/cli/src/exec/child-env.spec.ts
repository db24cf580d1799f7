import type { Delivery } from '@runtrail/contracts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { childEnv, runContextOf, type RunContext } from './child-env';
import { createRunDir } from './run-dir';

const RUN = '01DSJ63P40BAZY4VW8BXXG7M4K';
const CALLER = '01HZY1V6QK3M7W3X9T2B5C8D4E';

const credentials = {
  accessKeyId: 'ASIAEXAMPLE000000001',
  secretAccessKey: 'secret',
  sessionToken: 'token',
  expiration: new Date('2026-12-03T10:00:00Z'),
  roleArn: 'arn:aws:sts::222222222222:assumed-role/deploy/s',
  region: 'eu-west-1',
};

function envFor(run: RunContext, base: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return childEnv({
    base,
    run,
    credentials,
    container: { url: 'http://127.0.0.1:1/creds', authorizationToken: 'auth' },
    containerOnly: false,
    awsFiles: { configFile: '/run/x/aws-config', sharedCredentialsFile: '/run/x/aws-credentials' },
  });
}

const delivery = (extra: Partial<Delivery> = {}): { delivery: Delivery } => ({
  delivery: {
    runId: RUN,
    workerId: 'w1',
    phase: 'APPLYING',
    scope: 'write',
    integrationId: CALLER,
    mode: 'platform',
    sealed: 'a.b.c.d.e',
    expiresAt: '2026-12-03T10:00:00.000Z',
    ...extra,
  },
});

describe('childEnv: the run context', () => {
  it('gives the command the run id as TF_VAR_runtrail_run_id and RUNTRAIL_RUN_ID, and the rest of the run', () => {
    const env = envFor({
      runId: RUN,
      callerType: 'stack',
      callerSlug: 'network',
      spaceId: 'root',
      runType: 'TRACKED',
    });
    expect(env).toMatchObject({
      TF_VAR_runtrail_run_id: RUN,
      RUNTRAIL_RUN_ID: RUN,
      RUNTRAIL_CALLER_TYPE: 'stack',
      RUNTRAIL_CALLER_SLUG: 'network',
      RUNTRAIL_SPACE_ID: 'root',
      RUNTRAIL_RUN_TYPE: 'TRACKED',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    });
  });

  it("leaves out what it does not know, rather than passing on the worker's own values", () => {
    const env = envFor(
      { runId: RUN },
      {
        RUNTRAIL_SPACE_ID: 'stale',
        RUNTRAIL_CALLER_SLUG: 'stale',
        TF_VAR_runtrail_run_id: 'stale',
        KEEP: 'me',
      },
    );
    expect(env['TF_VAR_runtrail_run_id']).toBe(RUN);
    expect(env).not.toHaveProperty('RUNTRAIL_SPACE_ID');
    expect(env).not.toHaveProperty('RUNTRAIL_CALLER_SLUG');
    expect(env).not.toHaveProperty('RUNTRAIL_CALLER_TYPE');
    expect(env).not.toHaveProperty('RUNTRAIL_RUN_TYPE');
    expect(env['KEEP']).toBe('me');
  });
});

describe("childEnv: the worker's own identity and secrets stay out", () => {
  const worker = {
    HOME: '/home/worker',
    PATH: '/usr/bin',
    RUNTRAIL_URL: 'https://runtrail.example.com',
    RUNTRAIL_API_KEY: 'rt_worker_key',
    NATS_URL: 'nats://127.0.0.1:4222',
    NATS_USER: 'pool-a',
    NATS_PASSWORD: 'pool-secret',
    NATS_CREDS: '/etc/runtrail/pool.creds',
    AWS_PROFILE: 'worker',
    AWS_DEFAULT_PROFILE: 'worker',
    AWS_CONFIG_FILE: '/home/worker/.aws/config',
    AWS_SHARED_CREDENTIALS_FILE: '/home/worker/.aws/credentials',
    AWS_EC2_METADATA_DISABLED: 'false',
    AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://169.254.169.254',
    AWS_ACCESS_KEY_ID: 'AKIAWORKER',
    AWS_SECRET_ACCESS_KEY: 'worker-secret',
  };

  it('drops every NATS_* variable and RUNTRAIL_API_KEY, keeps RUNTRAIL_URL and the rest', () => {
    const env = envFor({ runId: RUN }, worker);
    expect(Object.keys(env).filter((name) => name.startsWith('NATS_'))).toEqual([]);
    expect(env).not.toHaveProperty('RUNTRAIL_API_KEY');
    expect(env).toMatchObject({ RUNTRAIL_URL: worker.RUNTRAIL_URL, HOME: worker.HOME, PATH: worker.PATH });
    expect(JSON.stringify(env)).not.toMatch(/pool-secret|rt_worker_key|worker-secret|AKIAWORKER/);
  });

  it("points AWS tools at the run's private files, not ~/.aws, and off the instance metadata service", () => {
    const env = envFor({ runId: RUN }, worker);
    expect(env).toMatchObject({
      AWS_CONFIG_FILE: '/run/x/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/run/x/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    });
    for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_EC2_METADATA_SERVICE_ENDPOINT'])
      expect(env).not.toHaveProperty(name);
  });
});

describe('createRunDir', () => {
  it('makes a private directory with empty AWS files, and removes it all', () => {
    const run = createRunDir();
    try {
      expect(statSync(run.dir).mode & 0o777).toBe(0o700);
      for (const file of [run.configFile, run.sharedCredentialsFile]) {
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(readFileSync(file, 'utf8')).toBe('');
      }
      expect(run.tokenFile.startsWith(run.dir)).toBe(true);
    } finally {
      run.remove();
    }
    expect(existsSync(run.dir)).toBe(false);
  });
});

describe('runContextOf', () => {
  it('reads the run from the delivery when exec was not told it with --publish-phases', () => {
    const opened = delivery({
      caller: { type: 'module', slug: 'vpc' },
      spaceId: 'platform',
      runType: 'PROPOSED',
    });
    expect(runContextOf({ runId: RUN }, opened)).toEqual({
      runId: RUN,
      callerType: 'module',
      callerSlug: 'vpc',
      spaceId: 'platform',
      runType: 'PROPOSED',
    });
  });

  it("prefers the registry's answer in the delivery over --publish-phases flags, which fill in for an older broker", () => {
    const publish = {
      apiUrl: 'http://127.0.0.1:8080',
      apiKey: 'rtk.x.y',
      account: 'acme',
      spaceId: 'root',
      caller: { type: 'stack' as const, id: CALLER, slug: 'network' },
      runType: 'TASK' as const,
    };
    expect(runContextOf({ runId: RUN, publish }, delivery({ spaceId: 'other' })).spaceId).toBe('other');
    const old = {
      delivery: { ...delivery().delivery, caller: undefined, spaceId: undefined, runType: undefined },
    };
    expect(runContextOf({ runId: RUN, publish }, old)).toEqual({
      runId: RUN,
      callerType: 'stack',
      callerSlug: 'network',
      spaceId: 'root',
      runType: 'TASK',
    });
    expect(runContextOf({ runId: RUN }, delivery())).toEqual({
      runId: RUN,
      callerType: undefined,
      callerSlug: undefined,
      spaceId: undefined,
      runType: undefined,
    });
  });
});
