import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../../../..');

/** A runtrail service started from the build (`dist/apps/<name>/src/main.js`), as production runs it. */
export class ServiceProcess {
  readonly output: string[] = [];

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  static async start(app: string, port: number, env: Record<string, string>): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [join(ROOT, `dist/apps/${app}/src/main.js`)], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/tmp',
        OTEL_SDK_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        HOST: '127.0.0.1',
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(app, child, port);
    // One that never got ready is no one's to stop: it would outlive the suite (and keep jest up).
    await service.waitReady().catch(async (error: unknown) => {
      await service.kill();
      throw error;
    });
    return service;
  }

  get text(): string {
    return this.output.join('');
  }

  // Generous: on a shared 2-core machine a cold Nest start under load takes tens of seconds.
  private async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`${this.name} exited with ${this.child.exitCode}:\n${this.text}`);
      const ok = await fetch(`http://127.0.0.1:${this.port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not ready in ${timeoutMs} ms:\n${this.text}`);
  }

  /** SIGKILL: no graceful shutdown, in-flight work is lost as in a crash. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
      setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
    });
  }
}
