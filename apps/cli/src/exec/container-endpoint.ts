import { createServer, type Server } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { LiveCredentials } from './credentials';

/** Where the command's AWS SDK finds the endpoint. */
export interface ContainerEndpoint {
  url: string;
  authorizationToken: string;
  close(): Promise<void>;
}

/**
 * A loopback container-credentials endpoint (the protocol of ECS/EKS: `AWS_CONTAINER_CREDENTIALS_FULL_URI`
 * + `AWS_CONTAINER_AUTHORIZATION_TOKEN`). The SDKs call it whenever their cached credentials near
 * expiry, so a command running longer than one session keeps working. Only a caller presenting the
 * random token gets an answer.
 */
export async function startContainerEndpoint(
  current: () => Promise<LiveCredentials>,
): Promise<ContainerEndpoint> {
  const authorizationToken = randomBytes(24).toString('base64url');
  const expected = Buffer.from(authorizationToken);
  const server: Server = createServer((req, res) => {
    const presented = Buffer.from(req.headers.authorization ?? '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"message":"missing or wrong authorization token"}');
      return;
    }
    current().then(
      (c) => {
        const body = {
          AccessKeyId: c.accessKeyId,
          SecretAccessKey: c.secretAccessKey,
          Token: c.sessionToken,
          Expiration: c.expiration.toISOString(),
          RoleArn: c.roleArn,
        };
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify(body));
      },
      () =>
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"message":"credentials unavailable"}'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/credentials`,
    authorizationToken,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
