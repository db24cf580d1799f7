import { writeFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { context } from '@opentelemetry/api';
import { scopeOfPhase } from '@runtrail/contracts';
import { generateSealingKeyPair, type SealingKeyPair } from '@runtrail/sealing';
import { childEnv, runContextOf } from './child-env';
import { runChild } from './child.runner';
import { startContainerEndpoint, type ContainerEndpoint } from './container-endpoint';
import { CredentialKeeper, secretsOf } from './credential-keeper';
import { credentialsOf, type LiveCredentials } from './credentials';
import { DeliveryInbox, type OpenedDelivery } from './delivery-inbox';
import type { ExecOptions } from './exec-options';
import { execTracer } from './exec-trace';
import { PhasePublisher } from './phase-publisher';
import { createRunDir } from './run-dir';
import { planPhases } from './run-phases';
import { connectAs } from '../nats/nats-login';

/** Exit code when the run's credentials never came (the command did not run). */
export const EXIT_NO_CREDENTIALS = 3;

const log = (line: string) => process.stderr.write(`runtrail exec: ${line}\n`);
const trace = execTracer(log);

/**
 * `runtrail exec`: one run's worker side. Generates the run's key pair, optionally publishes the
 * run's phases, waits for the sealed delivery, runs the command with the credentials (masked in
 * its output) and a refreshing container endpoint, and exits with the command's code.
 */
export async function execCommand(options: ExecOptions): Promise<number> {
  const keys = await generateSealingKeyPair();
  const nc = await connectAs(options.nats, `runtrail-exec ${options.runId}`, log);
  const inbox = new DeliveryInbox(nc, options.runId, options.workerId, keys, log);
  const scheduler = options.publish
    ? new PhasePublisher({ ...options, publish: options.publish }, keys.publicJwk, log)
    : null;
  try {
    await inbox.start();
    let commandPhase = options.phase;
    if (scheduler && options.publish) {
      const plan = planPhases(options.publish.runType, options.phase);
      commandPhase = plan.commandPhase;
      for (const phase of plan.before) {
        trace?.(`entering ${phase}`);
        await scheduler.enter(phase);
        trace?.(`entered ${phase}`);
        if (scopeOfPhase(phase)) {
          const got = await inbox
            .wait(phase, options.integrationId, options.timeoutMs)
            .catch(async (error: unknown) => {
              await scheduler.enter('FAILED');
              throw error;
            });
          log(
            `${phase}: ${scopeOfPhase(phase)} credentials received from integration ${got.delivery.integrationId} (${got.delivery.mode} mode)`,
          );
        }
      }
      trace?.(`entering ${commandPhase}`);
      await scheduler.enter(commandPhase);
      trace?.(`entered ${commandPhase}`);
    }
    let opened: OpenedDelivery;
    try {
      opened = await inbox.wait(commandPhase, options.integrationId, options.timeoutMs);
    } catch (error) {
      await scheduler?.enter('FAILED');
      throw error;
    }
    // No other delivery is awaited (refreshes are requests): stop pulling, so that the worker's
    // deliveries for parallel runs no longer come here only to be handed back a second later.
    await inbox.stop().catch(() => undefined);
    // In the run's trace (the delivery's), so that refreshes are part of it.
    const code = await context.with(opened.trace, () => runWithCredentials(options, nc, keys, opened));
    await scheduler?.enter(code === 0 ? 'FINISHED' : 'FAILED');
    return code;
  } finally {
    await inbox.stop().catch(() => undefined);
    await nc.drain().catch(() => undefined);
  }
}

async function runWithCredentials(
  options: ExecOptions,
  nc: NatsConnection,
  keys: SealingKeyPair,
  opened: OpenedDelivery,
): Promise<number> {
  const secrets = new Set<string>();
  const initial = await credentialsOf(opened.plaintext, options.awsEndpointUrl);
  for (const s of secretsOf(initial)) secrets.add(s);
  log(
    `${opened.delivery.phase}: running the command as ${initial.roleArn} (${opened.delivery.mode} mode, expires ${initial.expiration.toISOString()})`,
  );

  const runDir = createRunDir();
  const tokenFile = initial.webIdentityToken ? runDir.tokenFile : undefined;
  const writeToken = (c: LiveCredentials) => {
    if (tokenFile && c.webIdentityToken) writeFileSync(tokenFile, c.webIdentityToken, { mode: 0o600 });
  };

  const keeper = new CredentialKeeper(
    initial,
    nc,
    {
      runId: options.runId,
      workerId: options.workerId,
      integrationId: opened.delivery.integrationId,
      keys,
      awsEndpointUrl: options.awsEndpointUrl,
      refreshLeadMs: options.refreshLeadMs,
      onSecrets: (values) => values.forEach((v) => secrets.add(v)),
      onRefreshError: (message) => log(`refresh failed (the current credentials stay in use): ${message}`),
    },
    writeToken,
  );
  let endpoint: ContainerEndpoint | undefined;
  try {
    writeToken(initial);
    endpoint = await startContainerEndpoint(() => keeper.fresh());
    secrets.add(endpoint.authorizationToken);
    const env = childEnv({
      base: process.env,
      run: runContextOf(options, opened),
      credentials: initial,
      container: endpoint,
      containerOnly: options.containerOnly,
      webIdentityTokenFile: tokenFile,
      awsFiles: runDir,
    });
    return await runChild(options.command, env, secrets);
  } finally {
    keeper.stop();
    await endpoint?.close();
    runDir.remove();
  }
}
