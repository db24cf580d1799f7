import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { externalId } from '@runtrail/aws-identity';
import {
  ResolveIntegrationsRequest,
  type IntegrationSnapshot,
  type ResolveIntegrationsReply,
  type Scope,
} from '@runtrail/contracts';
import type { ReplyEnvelope } from '@runtrail/messaging';

export interface Attachment {
  integration: IntegrationSnapshot;
  attachmentId: string;
  read: boolean;
  write: boolean;
}

interface CallerEntry {
  slug: string;
  type: 'stack' | 'module';
  attachments: Attachment[];
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Answers `integrations.v1.resolve` the way the contract says integrations does, from an in-memory
 * table: the boundary the broker depends on, without the integrations service's REST API.
 */
export class IntegrationsResponder {
  private readonly callers = new Map<string, CallerEntry>();
  private sub?: Subscription;
  requests = 0;

  /** Its connection (the `integrations` user in the e2e stack), drained by the stack. */
  constructor(readonly nc: NatsConnection) {}

  register(callerId: string, entry: CallerEntry): void {
    this.callers.set(callerId, entry);
  }

  start(): void {
    this.sub = this.nc.subscribe(ResolveIntegrationsRequest.subject, {
      queue: ResolveIntegrationsRequest.subject,
      callback: (_err, msg) => {
        this.requests++;
        const request = ResolveIntegrationsRequest.request.parse(JSON.parse(decoder.decode(msg.data)));
        msg.respond(
          encoder.encode(JSON.stringify(this.answer(request.account, request.callerId, request.scope))),
        );
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  private answer(account: string, callerId: string, scope: Scope): ReplyEnvelope<ResolveIntegrationsReply> {
    const caller = this.callers.get(callerId);
    if (!caller)
      return {
        ok: false,
        error: { code: 'NOT_FOUND', message: `caller ${callerId} is not registered in account ${account}` },
      };
    const integrations = caller.attachments
      .filter((a) => (scope === 'read' ? a.read : a.write))
      .map((a) => ({
        integration: a.integration,
        attachmentId: a.attachmentId,
        externalId:
          a.integration.customExternalId ??
          externalId({ account, integrationId: a.integration.id, callerSlug: caller.slug, scope }),
      }));
    return {
      ok: true,
      data: {
        caller: { type: caller.type, id: callerId, slug: caller.slug, spaceId: 'root', labels: [] },
        integrations,
      },
    };
  }
}
