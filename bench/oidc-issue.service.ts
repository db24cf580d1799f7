// Child process of bench/oidc-issue.bench.ts: the oidc-issuer service exactly as production starts
// it (bootstrapService: NATS responder + HTTP + SQLite), in a process of its own so the benchmark's
// client does not share its event loop. Reports "ready" to the parent over IPC.
import { bootstrapService } from '@runtrail/bootstrap';
import { loadConfig } from '@runtrail/config';
import { OidcIssuerModule, oidcIssuerEnv } from '@runtrail/oidc-issuer';

async function main(): Promise<void> {
  const env = loadConfig(oidcIssuerEnv);
  const app = await bootstrapService({
    name: 'oidc-issuer',
    modules: [OidcIssuerModule.forRoot(env)],
    http: { host: '127.0.0.1', port: env.PORT ?? 0 },
    nats: { servers: [env.NATS_URL] },
    logLevel: 'warn',
  });
  process.send?.('ready');
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error('oidc-issuer bench service failed:', error);
  process.exit(1);
});
