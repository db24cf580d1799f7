import type { Delivery } from '@runtrail/contracts';
import { childEnv, runContextOf, type RunContext } from './child-env';

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

  it('prefers its own --publish-phases flags, and knows only the run id from an older broker', () => {
    const publish = {
      account: 'acme',
      spaceId: 'root',
      caller: { type: 'stack' as const, id: CALLER, slug: 'network' },
      runType: 'TASK' as const,
    };
    expect(runContextOf({ runId: RUN, publish }, delivery({ spaceId: 'other' }))).toEqual({
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
