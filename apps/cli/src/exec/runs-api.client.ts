import type { CallerType, Phase, PublicEcJwk, RunType } from '@runtrail/contracts';

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
 * The runs API of the integrations service (`RUNTRAIL_URL`), called with a scheduler or admin key
 * (`RUNTRAIL_API_KEY`). Errors carry the API's problem detail, never the key.
 */
export class RunsApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  createRun(run: NewRun): Promise<RunView> {
    return this.post('/v1/runs', {
      runId: run.runId,
      callerId: run.caller.id,
      runType: run.runType,
      workerId: run.workerId,
      workerPublicKey: run.workerPublicKey,
    });
  }

  enterPhase(runId: string, phase: Phase): Promise<RunView> {
    return this.post(`/v1/runs/${runId}/phases`, { phase });
  }

  private async post(path: string, body: unknown): Promise<RunView> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new Error(
        `the runs API at ${url.origin} did not answer POST ${path}: ${(error as Error).message}`,
      );
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) {
      const detail = typeof parsed['detail'] === 'string' ? parsed['detail'] : text.slice(0, 300);
      throw new Error(`the runs API answered POST ${path} with ${response.status}: ${detail}`);
    }
    return parsed as unknown as RunView;
  }
}
