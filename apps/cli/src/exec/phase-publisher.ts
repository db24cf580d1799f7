import type { Phase, PublicEcJwk } from '@runtrail/contracts';
import type { ExecOptions } from './exec-options';
import { RunsApiClient, type RunView } from './runs-api.client';

type Publish = NonNullable<ExecOptions['publish']>;

/**
 * Drives the run through the runs API as a scheduler would (`--publish-phases`): the first phase
 * creates the run (account, space and caller come from runtrail's registry, not from flags), then
 * each phase is entered with the server's clock. runtrail alone publishes `runs.v1.phase`.
 */
export class PhasePublisher {
  private readonly api: RunsApiClient;
  private run: RunView | null = null;

  constructor(
    private readonly options: ExecOptions & { publish: Publish },
    private readonly workerPublicKey: PublicEcJwk,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.api = new RunsApiClient(options.publish);
  }

  /** The run as the API last answered it (null before the first phase). */
  get current(): RunView | null {
    return this.run;
  }

  async enter(phase: Phase): Promise<void> {
    if (!this.run) this.run = await this.start();
    if (phase !== this.run.phase) this.run = await this.api.enterPhase(this.options.runId, phase);
  }

  private async start(): Promise<RunView> {
    const p = this.options.publish;
    const run = await this.api.createRun({
      runId: this.options.runId,
      caller: p.caller,
      runType: p.runType,
      workerId: this.options.workerId,
      workerPublicKey: this.workerPublicKey,
    });
    if (p.account && p.account !== run.account)
      throw new Error(`--account ${p.account}: the API key belongs to account ${run.account}`);
    if (p.spaceId && p.spaceId !== run.spaceId)
      this.log(
        `--space ${p.spaceId} ignored: ${run.caller.type} ${run.caller.slug} is in space ${run.spaceId}`,
      );
    return run;
  }
}
