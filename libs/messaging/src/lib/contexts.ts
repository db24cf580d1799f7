import { BaseRpcContext } from '@nestjs/microservices';
import type { JsMsg } from '@nats-io/jetstream';
import type { Msg } from '@nats-io/transport-node';

/** Handler context of a JetStream event (`@Ctx() ctx: JetStreamContext`). */
export class JetStreamContext extends BaseRpcContext<[JsMsg]> {
  get message(): JsMsg {
    return this.args[0];
  }
  get subject(): string {
    return this.args[0].subject;
  }
  /** 1 on first delivery. */
  get deliveryCount(): number {
    return this.args[0].info.deliveryCount;
  }
  /** Tells JetStream the handler is still working, resetting the ack timer. */
  working(): void {
    this.args[0].working();
  }
}

/** Handler context of a core NATS request. */
export class NatsRequestContext extends BaseRpcContext<[Msg]> {
  get subject(): string {
    return this.args[0].subject;
  }
}
