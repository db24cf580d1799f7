import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);

export interface RunningPostgresCluster {
  /** server-level URL without a database, e.g. `postgres://postgres@127.0.0.1:54321` */
  url: string;
  port: number;
  /** temporary folder holding the data directory, the socket and the server log */
  dir: string;
  /** stops the server immediately and removes `dir` */
  stop(): Promise<void>;
  /**
   * Stops the server at once (`-m immediate`: every connection dropped, as in a crash), keeps it
   * down for `downMs`, and starts it again on the same port with the same data (fault tests).
   */
  restart(downMs?: number): Promise<void>;
}

/**
 * The folder with `initdb`/`pg_ctl`: `RUNTRAIL_POSTGRES_BIN` when set, else the newest
 * `/usr/lib/postgresql/<version>/bin` (Debian's layout); undefined when none is installed.
 */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env['RUNTRAIL_POSTGRES_BIN'];
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** `initdb` refuses root: as root, run the binaries as the `postgres` user and give it the folder. */
function runAs(): { prefix: string[]; chown?: { uid: number; gid: number } } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, but there is no `postgres` user to run initdb as (apt-get install postgresql creates it)');
  }
  return { prefix: ['runuser', '-u', 'postgres', '--'], chown: { uid: Number(uid.stdout), gid: Number(gid.stdout) } };
}

async function exec(command: string[], what: string, logFile?: string): Promise<void> {
  const [file, ...args] = command as [string, ...string[]];
  try {
    await run(file, args, { encoding: 'utf8', timeout: 60_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
    throw new Error(`${what} failed: ${(error as Error).message}\n${stderr ?? ''}${stdout ?? ''}${log}`);
  }
}

/**
 * Starts a throwaway PostgreSQL cluster: a fresh data directory in a temporary folder, a random
 * loopback port, `trust` authentication, the socket in the same folder, durability switched off
 * (fsync, synchronous commit) because the data dies with the test run.
 *
 * @throws Error when the binaries are missing or the server does not start (with its log).
 */
export async function startPostgresCluster(options: { binDir?: string } = {}): Promise<RunningPostgresCluster> {
  const binDir = options.binDir ?? postgresBinDir();
  if (!binDir) throw new Error('PostgreSQL binaries not found (apt-get install -y postgresql, or set RUNTRAIL_POSTGRES_BIN)');
  const { prefix, chown } = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'runtrail-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const pgCtl = [...prefix, join(binDir, 'pg_ctl'), '-D', dataDir];
  let started = false;
  const stopNow = () => {
    const [file = 'pg_ctl', ...args] = pgCtl;
    if (started) spawnSync(file, [...args, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
    started = false;
    rmSync(dir, { recursive: true, force: true });
  };
  // A process that exits without calling stop() (a failed global setup) still stops the server;
  // a killed one cannot, so callers stop it in `finally`/teardown.
  process.once('exit', stopNow);
  try {
    if (chown) chownSync(dir, chown.uid, chown.gid);
    await exec(
      [...prefix, join(binDir, 'initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
      'initdb',
    );
    const port = await startOnFreePort(pgCtl, dir, logFile, () => (started = true));
    return {
      url: `postgres://postgres@127.0.0.1:${port}`,
      port,
      dir,
      restart: async (downMs = 0) => {
        await exec([...pgCtl, '-m', 'immediate', '-w', 'stop'], 'pg_ctl stop');
        await new Promise((resolve) => setTimeout(resolve, downMs));
        // Same options as the first start (postmaster.opts does not survive a stop on every version).
        await exec([...pgCtl, '-o', serverOptionsOf(port, dir), '-l', logFile, '-w', '-t', '30', 'start'], 'pg_ctl start', logFile);
      },
      stop: async () => {
        process.removeListener('exit', stopNow);
        if (started) await exec([...pgCtl, '-m', 'immediate', '-w', 'stop'], 'pg_ctl stop').catch(() => undefined);
        started = false;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    process.removeListener('exit', stopNow);
    stopNow();
    throw error;
  }
}

async function startOnFreePort(pgCtl: string[], socketDir: string, logFile: string, onStarted: () => void): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await exec([...pgCtl, '-o', serverOptionsOf(port, socketDir), '-l', logFile, '-w', '-t', '30', 'start'], 'pg_ctl start', logFile);
      onStarted();
      return port;
    } catch (error) {
      // another process may have taken the port between freePort() and the bind
      if (attempt >= 3) throw error;
    }
  }
}

function serverOptionsOf(port: number, socketDir: string): string {
  return [
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
}
