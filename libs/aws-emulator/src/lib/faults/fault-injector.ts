import { setTimeout as sleep } from 'node:timers/promises';
import { AwsApiError } from '../http/aws-api.error';
import { wildcardMatcher } from '../policy/wildcard';
import type { ValidFaultRule } from './fault-rule.schema';

/** Applies the configured fault rules to a request, before it is authenticated or handled. */
export class FaultInjector {
  private rules: ValidFaultRule[] = [];

  constructor(
    rules: ValidFaultRule[] = [],
    private readonly random: () => number = Math.random,
  ) {
    this.set(rules);
  }

  set(rules: ValidFaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  list(): ValidFaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Waits for latency faults; throws the error of the first throttle/5xx fault that fires. */
  async apply(service: string, action: string, accountId: string | null): Promise<void> {
    for (const rule of this.rules) {
      if (rule.accountId && rule.accountId !== accountId) continue;
      const subject = rule.action.includes(':') ? `${service}:${action}` : action;
      if (!wildcardMatcher(rule.action, true)(subject)) continue;
      if (rule.rate < 1 && this.random() >= rule.rate) continue;
      if (rule.kind === 'latency') await sleep(rule.latencyMs ?? 1000);
      else if (rule.kind === 'throttle') {
        throw service === 'cloudtrail'
          ? new AwsApiError('ThrottlingException', 'Rate exceeded', 400, { recorded: false })
          : new AwsApiError('Throttling', 'Rate exceeded', 400, { recorded: false });
      } else {
        throw rule.status === 503
          ? new AwsApiError('ServiceUnavailable', 'Service is unable to handle request.', 503, {
              recorded: false,
            })
          : new AwsApiError(
              'InternalFailure',
              'The request processing has failed because of an unknown error, exception or failure.',
              500,
              {
                recorded: false,
              },
            );
      }
    }
  }
}
