/**
 * The durable pull consumer on DELIVERIES through which worker `workerId` reads its deliveries and
 * failure notices. `runtrail nats setup --worker <id>` creates it; `runtrail exec` only pulls from
 * and acks it; deploy/nats/auth.conf pins exactly these names for each worker pool user.
 */
export function workerConsumer(workerId: string): { durable: string; filter: string } {
  return { durable: `worker_${workerId}`, filter: `deliveries.v1.${workerId}.>` };
}

/**
 * The subjects of one run's deliveries to worker `workerId` and of its failure notices. Besides its
 * consumer, `runtrail exec` reads the last message on each directly
 * (`$JS.API.DIRECT.GET.DELIVERIES.<subject>`), which deploy/nats/auth.conf allows a pool user for
 * its own workers' subjects only.
 */
export function runDeliverySubjects(workerId: string, runId: string): { delivery: string; failed: string } {
  const delivery = `deliveries.v1.${workerId}.${runId}`;
  return { delivery, failed: `${delivery}.failed` };
}
