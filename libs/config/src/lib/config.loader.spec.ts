import fc from 'fast-check';
import { z } from 'zod';
import { RuntrailError } from '@runtrail/contracts';
import { baseServiceEnv, port, serviceName } from './base-service.env';
import { ConfigError } from './config.error';
import { loadConfig, loadConfigOrExit, type Env, type ExitIo } from './config.loader';

const appEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('oidc-issuer'),
  ISSUER_URL: z.url({ protocol: /^https$/, error: 'must be an https URL' }),
  SIGNING_KEK: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url'),
  API_TOKEN: z.string().min(20, 'must be at least 20 characters'),
  PORT: port.default(3400),
});

const goodEnv: Env = {
  ISSUER_URL: 'https://oidc.example.com',
  SIGNING_KEK: 'k'.repeat(43),
  API_TOKEN: 't'.repeat(20),
};

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns the typed, defaulted configuration of a good environment', () => {
    const config = loadConfig(appEnv, { ...goodEnv, PORT: '8443', UNRELATED: 'ignored' });
    expect(config).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM_REPLICAS: 1,
      API_RATE_LIMIT_PER_KEY: 600,
      API_RATE_LIMIT_PER_ACCOUNT: 3000,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
      SERVICE_NAME: 'oidc-issuer',
      ISSUER_URL: 'https://oidc.example.com',
      SIGNING_KEK: 'k'.repeat(43),
      API_TOKEN: 't'.repeat(20),
      PORT: 8443,
    });
  });

  it('reads process.env when given no environment', () => {
    const saved = process.env['SERVICE_NAME'];
    process.env['SERVICE_NAME'] = 'from-process-env';
    try {
      expect(loadConfig(baseServiceEnv).SERVICE_NAME).toBe('from-process-env');
    } finally {
      if (saved === undefined) delete process.env['SERVICE_NAME'];
      else process.env['SERVICE_NAME'] = saved;
    }
  });

  it('lists every bad and missing variable in one error', () => {
    const error = configErrorOf(() =>
      loadConfig(appEnv, {
        NATS_URL: 'http://nats:4222',
        PORT: '99999',
        LOG_LEVEL: 'info',
        ISSUER_URL: 'http://oidc.example.com',
        SIGNING_KEK: 'short',
      }),
    );
    expect(error).toBeInstanceOf(RuntrailError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.problems.map((p) => p.path).sort()).toEqual([
      'API_TOKEN',
      'ISSUER_URL',
      'LOG_LEVEL',
      'NATS_URL',
      'PORT',
      'SIGNING_KEK',
    ]);
    expect(error.message).toMatch(/^invalid environment \(6 problems\):/);
    expect(error.message).toContain('API_TOKEN: is required');
    expect(error.message).toContain('PORT: must be a whole number from 1 to 65535 (got "99999")');
    expect(error.message).toContain(
      'LOG_LEVEL: must be one of error, warn, log, debug, verbose (got "info")',
    );
    expect(error.message).toContain('SIGNING_KEK: must be 32 bytes of base64url');
  });

  it('says "1 problem" for one', () => {
    expect(configErrorOf(() => loadConfig(appEnv, { ...goodEnv, PORT: 'x' })).message).toMatch(
      /^invalid environment \(1 problem\):/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(appEnv, { ...goodEnv, LOG_LEVEL: '', PORT: '' })).toMatchObject({
      LOG_LEVEL: 'log',
      PORT: 3400,
    });
    expect(configErrorOf(() => loadConfig(appEnv, { ...goodEnv, API_TOKEN: '' })).message).toContain(
      'API_TOKEN: is required',
    );
  });

  it('never shows the value of a secret-looking variable', () => {
    const secret = 'hunter2-but-longer';
    const error = configErrorOf(() =>
      loadConfig(appEnv, { ...goodEnv, SIGNING_KEK: secret, API_TOKEN: 'tiny-tok' }),
    );
    const everything = JSON.stringify({ message: error.message, body: error.toJSON(), stack: error.stack });
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('tiny-tok');
    expect(error.message).toMatch(/API_TOKEN: must be at least 20 characters$/m);
  });

  it('hides a rule that quotes a secret value', () => {
    const quoting = z.object({
      DB_PASSWORD: z.string().check((ctx) => {
        if (ctx.value.length < 12)
          ctx.issues.push({ code: 'custom', message: `"${ctx.value}" is too short`, input: ctx.value });
      }),
    });
    const error = configErrorOf(() => loadConfig(quoting, { DB_PASSWORD: 'letmein' }));
    expect(error.message).not.toContain('letmein');
    expect(error.message).toContain(
      'DB_PASSWORD: is invalid (the rule is hidden because it quotes the secret value)',
    );
  });

  it('never shows a secret value, whatever the secret-looking name and value', () => {
    const arbName = fc.tuple(
      fc.constantFrom('', 'APP_', 'X_'),
      fc.constantFrom('KEY', 'SECRET', 'TOKEN', 'PASSWORD', 'KEK', 'api_key'),
      fc.constantFrom('', '_FILE', '_B64'),
    );
    const arbValue = fc.string({ minLength: 6, maxLength: 40 }).filter((v) => v.trim() !== '');
    fc.assert(
      fc.property(arbName, arbValue, ([prefix, word, suffix], value) => {
        const name = `${prefix}${word}${suffix}`;
        const schema = z.object({ [name]: z.string().regex(/^$/, 'must be empty') });
        const error = configErrorOf(() => loadConfig(schema, { [name]: value }));
        expect(error.message).not.toContain(value);
        expect(JSON.stringify(error.toJSON())).not.toContain(JSON.stringify(value).slice(1, -1));
      }),
    );
  });

  it('shows the value of an ordinary variable, with URL credentials masked', () => {
    const error = configErrorOf(() =>
      loadConfig(appEnv, {
        ...goodEnv,
        DATABASE_URL: 'mysql://admin:s3cr3t@db:3306/x',
        NATS_URL: 'nats://tok3n@nats',
      }),
    );
    expect(error.message).toContain('(got "mysql://***@db:3306/x")');
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).not.toContain('tok3n');
  });

  it('cuts a long shown value short', () => {
    const error = configErrorOf(() => loadConfig(appEnv, { ...goodEnv, LOG_LEVEL: 'x'.repeat(500) }));
    expect(error.message).toContain(`(got "${'x'.repeat(80)}...")`);
  });
});

describe('loadConfigOrExit', () => {
  function fakeIo(): ExitIo & { written: string[]; codes: number[] } {
    const written: string[] = [];
    const codes: number[] = [];
    return {
      written,
      codes,
      writeError: (text) => written.push(text),
      exit: (code) => {
        codes.push(code);
        throw new Error(`exit ${code}`);
      },
    };
  }

  it('returns the configuration when the environment is good', () => {
    const io = fakeIo();
    expect(loadConfigOrExit(appEnv, 'oidc-issuer', goodEnv, io).PORT).toBe(3400);
    expect(io.written).toEqual([]);
  });

  it('prints every problem, prefixed by the app name, and exits with code 1', () => {
    const io = fakeIo();
    expect(() => loadConfigOrExit(appEnv, 'oidc-issuer', { PORT: '0' }, io)).toThrow('exit 1');
    expect(io.codes).toEqual([1]);
    expect(io.written).toHaveLength(1);
    expect(io.written[0]).toMatch(/^oidc-issuer: invalid environment \(4 problems\):\n/);
    expect(io.written[0]).toContain('  - SIGNING_KEK: is required\n');
  });

  it('writes to stderr and calls process.exit by default', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = jest.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    try {
      expect(() => loadConfigOrExit(baseServiceEnv, 'audit', {})).toThrow('exit 1');
      expect(exit).toHaveBeenCalledWith(1);
      expect(write).toHaveBeenCalledWith(
        expect.stringContaining('audit: invalid environment (1 problem):\n  - SERVICE_NAME: is required'),
      );
    } finally {
      write.mockRestore();
      exit.mockRestore();
    }
  });

  it('lets errors other than a bad environment through', () => {
    const broken = z.object({
      X: z.string().transform(() => {
        throw new TypeError('bug in a transform');
      }),
    });
    expect(() => loadConfigOrExit(broken, 'app', { X: 'x' }, fakeIo())).toThrow(TypeError);
  });
});
