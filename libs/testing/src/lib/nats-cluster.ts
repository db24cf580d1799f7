import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { freePorts } from './free-port';
import { natsServerBinary, waitForPort } from './nats-server';
import { AUTH_CONF, freshShippedPasswords, passwordVariable } from './shipped-nats';

/** One node of a {@link NatsCluster}. */
export interface NatsClusterNode {
  /** `server_name` (n0, n1, n2): what `/jsz` names the meta leader by. */
  name: string;
  url: string;
  port: number;
  /** Monitoring port (`/healthz`, `/jsz`). */
  httpPort: number;
  clusterPort: number;
  /** The node's JetStream store: kept across kill and start, as a pod's volume is. */
  storeDir: string;
  running(): boolean;
}

/**
 * Three (or `size`) nats-server processes clustered with JetStream, each running the shipped
 * deploy/nats/auth.conf with fresh passwords, as deploy/nats/nats.conf deploys them: the same
 * `cluster { name, listen, routes }` on every node, every node a route of every other.
 */
export interface NatsCluster {
  readonly nodes: NatsClusterNode[];
  /** `NATS_URL` as services and `runtrail exec` take it: every node, comma-separated. */
  readonly url: string;
  readonly passwords: Record<string, string>;
  /** `NATS_USER` and `NATS_PASSWORD` of a user of auth.conf. */
  login(user: string): { NATS_USER: string; NATS_PASSWORD: string };
  /** The node holding JetStream's meta leadership now (asked of a running node's `/jsz`). */
  metaLeader(): Promise<NatsClusterNode>;
  /** SIGKILL: no lame duck, no goodbye to the routes, as a crashed host. */
  kill(node: NatsClusterNode): Promise<void>;
  /** Starts a killed node again on its ports and store. */
  start(node: NatsClusterNode): Promise<void>;
  /** Resolves once every running node reports JetStream healthy (`/healthz?js-enabled-only=true`) and a meta leader is known. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a JetStream cluster of `size` nodes on loopback; no setup step runs (the test runs `runtrail nats setup --replicas 3`). */
export async function startNatsCluster(options: { size?: number } = {}): Promise<NatsCluster> {
  const binary = natsServerBinary();
  const size = options.size ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'runtrail-nats-cluster-'));
  const passwords = freshShippedPasswords();
  const nodes: Array<NatsClusterNode & { child?: ChildProcess; config: string; stderr: string }> = [];
  const ports = await freePorts(3 * size);
  for (let i = 0; i < size; i++) {
    const [port, httpPort, clusterPort] = ports.slice(3 * i, 3 * i + 3) as [number, number, number];
    const storeDir = join(dir, `n${i}`);
    mkdirSync(storeDir);
    const node = {
      name: `n${i}`,
      url: `nats://127.0.0.1:${port}`,
      port,
      httpPort,
      clusterPort,
      storeDir,
      config: join(dir, `n${i}.conf`),
      stderr: '',
      running: () => node.child !== undefined && node.child.exitCode === null && node.child.signalCode === null,
    } as NatsClusterNode & { child?: ChildProcess; config: string; stderr: string };
    nodes.push(node);
  }
  const routes = nodes.map((n) => `"nats://127.0.0.1:${n.clusterPort}"`).join(', ');
  for (const node of nodes) {
    writeFileSync(
      node.config,
      [
        `server_name: ${node.name}`,
        `listen: 127.0.0.1:${node.port}`,
        `http: 127.0.0.1:${node.httpPort}`,
        'max_payload: 8MB',
        `jetstream { store_dir: "${node.storeDir}" }`,
        `cluster { name: runtrail, listen: 127.0.0.1:${node.clusterPort}, routes: [${routes}] }`,
        `include "${relative(dir, AUTH_CONF)}"`,
        '',
      ].join('\n'),
    );
  }

  const startNode = async (node: (typeof nodes)[number]) => {
    const child = spawn(binary, ['-c', node.config], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...passwords },
    });
    child.stderr?.on('data', (chunk: Buffer) => (node.stderr = (node.stderr + chunk.toString()).slice(-4000)));
    node.child = child;
    await waitForPort(node.port, child).catch((error: unknown) => {
      throw new Error(`${node.name}: ${(error as Error).message}\n${node.stderr}`);
    });
  };
  const killNode = (node: (typeof nodes)[number], signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const child = node.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });

  const jsz = async (): Promise<{ meta_cluster?: { leader?: string } } | null> => {
    for (const node of nodes.filter((n) => n.running())) {
      const answer = await fetch(`http://127.0.0.1:${node.httpPort}/jsz`).then(
        (r) => (r.ok ? (r.json() as Promise<{ meta_cluster?: { leader?: string } }>) : null),
        () => null,
      );
      // A survivor names the killed leader until the election ends: only a running leader counts.
      const leader = answer?.meta_cluster?.leader;
      if (leader && nodes.some((n) => n.name === leader && n.running())) return answer;
    }
    return null;
  };

  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    passwords,
    login(user) {
      const pass = passwords[passwordVariable(user)];
      if (!pass) throw new Error(`deploy/nats/auth.conf has no user ${user}`);
      return { NATS_USER: user, NATS_PASSWORD: pass };
    },
    async metaLeader() {
      const leader = (await jsz())?.meta_cluster?.leader;
      const node = nodes.find((n) => n.name === leader);
      if (!node) throw new Error(`no JetStream meta leader known (${leader ?? 'none'})`);
      return node;
    },
    kill: (node) => killNode(node as (typeof nodes)[number], 'SIGKILL'),
    start: (node) => startNode(node as (typeof nodes)[number]),
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const healthy = await Promise.all(
          nodes
            .filter((n) => n.running())
            .map((n) =>
              fetch(`http://127.0.0.1:${n.httpPort}/healthz?js-enabled-only=true`).then(
                (r) => r.ok,
                () => false,
              ),
            ),
        );
        if (healthy.every(Boolean) && (await jsz())) return;
        if (Date.now() > deadline) throw new Error(`the NATS cluster was not healthy within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => killNode(n, 'SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map(startNode));
    await cluster.waitHealthy();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
