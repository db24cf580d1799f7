import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The run's private directory: the command's AWS files and the OIDC token, removed at exit. */
export interface RunDir {
  dir: string;
  /** Empty `AWS_CONFIG_FILE`: no profile of the worker's can be named. */
  configFile: string;
  /** Empty `AWS_SHARED_CREDENTIALS_FILE`: the worker's `~/.aws/credentials` is not read. */
  sharedCredentialsFile: string;
  /** Where the OIDC web identity token is written (OIDC mode). */
  tokenFile: string;
  remove(): void;
}

/** Creates the run's directory (0700, as `mkdtemp` makes it) with empty AWS files (0600). */
export function createRunDir(): RunDir {
  const dir = mkdtempSync(join(tmpdir(), 'runtrail-exec-'));
  const configFile = join(dir, 'aws-config');
  const sharedCredentialsFile = join(dir, 'aws-credentials');
  for (const file of [configFile, sharedCredentialsFile])
    writeFileSync(file, '', { mode: 0o600, flag: 'wx' });
  return {
    dir,
    configFile,
    sharedCredentialsFile,
    tokenFile: join(dir, 'web-identity-token'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
