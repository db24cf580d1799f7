import type { CallerType, Phase, PublicEcJwk, RunType } from '@runtrail/contracts';
import { retryTransient } from '@runtrail/aws-sts';
import { JETSTREAM_RETRY } from '@runtrail/messaging/client';
import { ApiError, RuntrailApiClient, type ApiConnection } from '../api/runtrail-api.client';

/** How long a runs API call is retried while the API answers 5xx or cannot be reached (a database restart). */
export const RUNS_API_BUDGET_MS = 30_000;

/** Both runs API writes are idempotent (same run, same phase: answered unchanged), so a lost answer may be asked again. */
function retryableApiError(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500 || error.status === 429;
  // No answer at all (connection refused or reset, timeout): the service restarts or moves.
  return error instanceof Error && / did not answer /.test(error.message);
}

/** A run as the runs API answers it (the fields exec uses). */
export interface RunView {
  id: string;
  account: string;
  caller: { type: CallerType; id: string; slug: string };
  spaceId: string;
  runType: RunType;
  phase: Phase;
}

/** What `POST /v1/runs` needs from exec. */
export interface NewRun {
  runId: string;
  caller: { type: CallerType; id: string };
  runType: RunType;
  workerId: string;
  workerPublicKey: PublicEcJwk;
}

/**
 * The runs API of the integrations service, called with a scheduler or admin key through the
 * CLI's one REST client (errors carry the API's problem detail, never the key).
 */
export class RunsApiClient {
  private readonly api: RuntrailApiClient;

  constructor(connection: ApiConnection) {
    this.api = new RuntrailApiClient(connection);
  }

  createRun(run: NewRun): Promise<RunView> {
    return this.retried(() => this.api.post('/v1/runs', {
      runId: run.runId,
      callerId: run.caller.id,
      runType: run.runType,
      workerId: run.workerId,
      workerPublicKey: run.workerPublicKey,
    }));
  }

  enterPhase(runId: string, phase: Phase): Promise<RunView> {
    return this.retried(() => this.api.post(`/v1/runs/${runId}/phases`, { phase }));
  }

  /** The repo's one backoff, for {@link RUNS_API_BUDGET_MS} at most; a 4xx is final at once. */
  private retried<T>(call: () => Promise<T>): Promise<T> {
    const until = Date.now() + RUNS_API_BUDGET_MS;
    return retryTransient({ ...JETSTREAM_RETRY, attempts: Number.POSITIVE_INFINITY }, call, {
      retryable: (error) => Date.now() < until && retryableApiError(error),
    });
  }
}
