import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectNats } from '@nats-io/transport-node';
import { setupJetStream } from '@runtrail/nats-setup';
import { freePort } from './free-port';

export interface RunningNatsServer {
  url: string;
  port: number;
  pid: number;
  storeDir: string;
  stop(): Promise<void>;
}

const INSTALL_HINT = 'nats-server was not found on PATH; install it with `apt-get install -y nats-server`';

export function natsServerBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) throw new Error(INSTALL_HINT);
  return path;
}

/** Resolves once `port` accepts connections; rejects when `child` exits first or after `timeoutMs`. */
export function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`nats-server exited with code ${child.exitCode}`));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

export interface NatsServerOptions {
  port?: number;
  storeDir?: string;
  /** A configuration file (e.g. one including deploy/nats/auth.conf); port, store and JetStream still come from the flags. */
  configFile?: string;
  /** Environment of the server (the `NATS_PASSWORD_*` variables auth.conf reads). */
  env?: Record<string, string>;
  /**
   * Run the operator's setup step (every stream and KV bucket, as `runtrail nats setup` does) once
   * the server listens, as this user when the server requires one. Default: run it, anonymously.
   */
  setup?: false | SetupAs;
}

/** Who runs the setup step, and what it makes beyond the streams. */
export interface SetupAs {
  user?: string;
  pass?: string;
  workers?: string[];
  /** TTL of audit's poller leases (the bucket keeps the TTL it was created with). */
  auditLeaseTtlMs?: number;
}

/**
 * Starts a nats-server with JetStream on a random loopback port and a temporary store directory,
 * then runs the setup step services expect (they never create streams). `stop()` kills it and
 * removes the directory.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<RunningNatsServer> {
  const binary = natsServerBinary();
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'runtrail-nats-'));
  const config = options.configFile ? ['-c', options.configFile] : [];
  const child = spawn(binary, [...config, '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  try {
    await waitForPort(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  const url = `nats://127.0.0.1:${port}`;
  if (options.setup !== false) {
    try {
      await runSetup(url, options.setup ?? {});
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`setup of ${url} failed: ${(error as Error).message}\n${stderr}`);
    }
  }
  return {
    url,
    port,
    pid: child.pid ?? -1,
    storeDir,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          if (!options.storeDir) rmSync(storeDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

async function runSetup(url: string, as: SetupAs): Promise<void> {
  const nc = await connectNats({ servers: url, name: 'runtrail-test-setup', user: as.user, pass: as.pass });
  try {
    await setupJetStream(nc, { replicas: 1, workers: as.workers, auditLeaseTtlMs: as.auditLeaseTtlMs });
  } finally {
    await nc.close();
  }
}
