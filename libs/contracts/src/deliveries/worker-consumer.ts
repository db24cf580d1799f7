/**
 * The durable pull consumer on DELIVERIES through which worker `workerId` reads its deliveries and
 * failure notices. `runtrail nats setup --worker <id>` creates it; `runtrail exec` only pulls from
 * and acks it; deploy/nats/auth.conf pins exactly these names for each worker pool user.
 */
export function workerConsumer(workerId: string): { durable: string; filter: string } {
  return { durable: `worker_${workerId}`, filter: `deliveries.v1.${workerId}.>` };
}
