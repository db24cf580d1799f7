import type { EventView } from '../api/views';

/** The calls of one AWS session (an assumed-role ARN, or another principal), and the sessions it assumed. */
export interface SessionNode {
  /** The session's principal: `arn:aws:sts::<account>:assumed-role/<role>/<session name>`, or the caller's ARN. */
  principal: string;
  /** The AssumeRole* call that made this session (in its parent's calls), when the run holds it. */
  assumedBy: EventView | null;
  calls: EventView[];
  children: SessionNode[];
}

const ASSUME = /^AssumeRole/;

/** The session ARN a successful AssumeRole gives: from its role ARN and requested session name. */
export function assumedSessionArn(event: EventView): string | null {
  const name = event.requestParameters?.['roleSessionName'];
  const role = event.roleArn?.match(/^arn:(aws[\w-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/);
  if (typeof name !== 'string' || !role) return null;
  return `arn:${role[1]}:sts::${role[2]}:assumed-role/${role[3]}/${name}`;
}

/**
 * A run's calls (oldest first) as a tree of sessions: each session's calls in time order, each
 * session nested under the session whose AssumeRole made it (role chaining), the run's own
 * sessions under the identity that issued them (runtrail's, whose AssumeRole is in the run's trail).
 */
export function sessionTree(events: EventView[]): SessionNode[] {
  const nodes = new Map<string, SessionNode>();
  const madeBy = new Map<string, EventView>();
  for (const event of events) {
    if (ASSUME.test(event.eventName) && !event.denied) {
      const arn = assumedSessionArn(event);
      if (arn && !madeBy.has(arn)) madeBy.set(arn, event);
    }
    const principal = event.principalArn ?? event.accessKeyId ?? 'unknown principal';
    let node = nodes.get(principal);
    if (!node) {
      node = { principal, assumedBy: null, calls: [], children: [] };
      nodes.set(principal, node);
    }
    node.calls.push(event);
  }
  const roots: SessionNode[] = [];
  for (const node of nodes.values()) {
    const assume = madeBy.get(node.principal) ?? null;
    node.assumedBy = assume;
    const parent = assume ? nodes.get(assume.principalArn ?? assume.accessKeyId ?? '') : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Every session of a tree, depth first, with its depth. */
export function flatten(nodes: SessionNode[], depth = 0): Array<{ node: SessionNode; depth: number }> {
  return nodes.flatMap((node) => [{ node, depth }, ...flatten(node.children, depth + 1)]);
}
