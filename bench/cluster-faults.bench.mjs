#!/usr/bin/env node
// The cluster fault run at benchmark size (issue 16): the e2e spec apps/cli/e2e/cluster-faults.e2e.spec.ts
// (three clustered nats-server nodes, PostgreSQL, two broker and two audit replicas from the build; a
// NATS node, the meta leader, a broker and the audit replica holding the poller lease SIGKILLed,
// PostgreSQL restarted; every CloudTrail event stored once, no finding twice) with runs started at a higher rate,
// so that about 1,000 runs go through plan and apply over the same fault timeline. `npm test` runs
// the same spec at 4 runs/s (about 250 runs). Prints the spec's recovery report (with the poller
// lease's takeover time).
//
//   node bench/cluster-faults.bench.mjs [runs-per-second, default 16]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rate = process.argv[2] ?? '16';
const result = spawnSync('npx', ['jest', 'apps/cli/e2e/cluster-faults.e2e.spec.ts'], {
  cwd: root,
  env: { ...process.env, CLUSTER_FAULTS_RUNS_PER_S: rate },
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
