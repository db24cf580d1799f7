import { RunPhaseChangedEvent, type Phase, type PublicEcJwk } from '@runtrail/contracts';
import type { MessageBus } from '@runtrail/messaging';
import type { ExecOptions } from './exec-options';

/** Publishes the run's phase events as a scheduler would (`--publish-phases`). */
export class PhasePublisher {
  constructor(
    private readonly bus: MessageBus,
    private readonly options: ExecOptions & { publish: NonNullable<ExecOptions['publish']> },
    private readonly workerPublicKey: PublicEcJwk,
  ) {}

  async enter(phase: Phase): Promise<void> {
    const p = this.options.publish;
    await this.bus.publish(RunPhaseChangedEvent, {
      runId: this.options.runId,
      account: p.account,
      spaceId: p.spaceId,
      caller: p.caller,
      runType: p.runType,
      phase,
      workerId: this.options.workerId,
      workerPublicKey: this.workerPublicKey,
      at: new Date().toISOString(),
    });
  }
}
