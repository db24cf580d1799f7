import type { NatsCluster } from '@runtrail/testing';

/** A run phase event the test published, and when. */
export interface Published {
  runId: string;
  phase: string;
  at: number;
}

/** A delivery JetStream stored, and when (its stream timestamp). */
export interface Delivered {
  runId: string;
  phase: string;
  integrationId: string;
  at: number;
}

export interface FaultMark {
  name: string;
  at: number;
  /** For the audit poller's lease holder: when another replica held the lease (ms after the kill). */
  takeoverMs?: number;
}

export interface FaultWindow {
  name: string;
  /** Longest time without any delivery in the 30 s after the fault: how long the system stalled. */
  longestGapMs: number;
  /** Longest publish-to-delivery wait of the phases published from 2 s before to 2 s after it. */
  maxLatencyMs: number;
  runs: number;
  /** The audit poller lease's takeover after its holder was killed (ms), for that fault. */
  takeoverMs?: number;
}

/**
 * Recovery around each fault, from what a user sees: when phases were published and when their
 * deliveries were stored. Baseline: the phases published before the first fault.
 */
export function faultWindows(
  published: Published[],
  delivered: Delivered[],
  faults: FaultMark[],
): { baseline: { p50: number; max: number }; faults: FaultWindow[] } {
  const deliveredAt = new Map(delivered.map((d) => [`${d.runId}:${d.phase}`, d.at]));
  const latency = (p: Published) => (deliveredAt.get(`${p.runId}:${p.phase}`) ?? Number.NaN) - p.at;
  const first = faults[0]?.at ?? Number.POSITIVE_INFINITY;
  const before = published.filter((p) => p.at < first).map(latency).sort((a, b) => a - b);
  const times = delivered.map((d) => d.at).sort((a, b) => a - b);
  return {
    baseline: { p50: before[Math.floor(before.length / 2)] ?? 0, max: before.at(-1) ?? 0 },
    faults: faults.map((f) => {
      const window = [f.at, ...times.filter((t) => t > f.at && t <= f.at + 30_000)];
      let longestGapMs = 0;
      for (let i = 1; i < window.length; i++) longestGapMs = Math.max(longestGapMs, window[i]! - window[i - 1]!);
      const around = published.filter((p) => p.at >= f.at - 2_000 && p.at <= f.at + 2_000);
      return {
        name: f.name,
        longestGapMs,
        maxLatencyMs: Math.max(0, ...around.map(latency)),
        runs: around.length,
        ...(f.takeoverMs === undefined ? {} : { takeoverMs: f.takeoverMs }),
      };
    }),
  };
}

/**
 * SIGKILLs a NATS node, one that is not the JetStream meta leader or the meta leader itself, as the
 * fault `fault` marks, keeps it down `downMs`, starts it again on its store and waits until the
 * cluster is healthy. Returns the node's name.
 */
export async function nodeOutage(
  cluster: NatsCluster,
  which: 'follower' | 'meta leader',
  fault: (name: string, act: () => Promise<void>) => Promise<void>,
  downMs = 8_000,
): Promise<string> {
  const leader = await cluster.metaLeader();
  const node = which === 'meta leader' ? leader : cluster.nodes.find((n) => n.name !== leader.name)!;
  const name =
    which === 'meta leader'
      ? `SIGKILL the JetStream meta leader ${node.name}`
      : `SIGKILL NATS node ${node.name} (not the meta leader)`;
  await fault(name, () => cluster.kill(node));
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await cluster.start(node);
  await cluster.waitHealthy();
  return node.name;
}
