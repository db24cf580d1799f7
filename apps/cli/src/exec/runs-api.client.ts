import type { CallerType, Phase, PublicEcJwk, RunType } from '@runtrail/contracts';
import { RuntrailApiClient, type ApiConnection } from '../api/runtrail-api.client';

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
    return this.api.post('/v1/runs', {
      runId: run.runId,
      callerId: run.caller.id,
      runType: run.runType,
      workerId: run.workerId,
      workerPublicKey: run.workerPublicKey,
    });
  }

  enterPhase(runId: string, phase: Phase): Promise<RunView> {
    return this.api.post(`/v1/runs/${runId}/phases`, { phase });
  }
}
