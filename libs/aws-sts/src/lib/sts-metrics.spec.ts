import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestMetrics, type TestMetrics } from '@runtrail/telemetry';
import { Sts } from './sts.client';

const ROLE = 'arn:aws:iam::222222222222:role/deployer';

// STS answering like AWS does when the trust policy refuses the caller.
function refusingSts(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(403, { 'content-type': 'text/xml' })
        .end(
          '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
            `<Message>User: arn:aws:iam::111111111111:user/runtrail is not authorized to perform: sts:AssumeRole on resource: ${ROLE}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
        ),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('runtrail.sts.errors', () => {
  let recorded: TestMetrics;
  let server: Server;
  let sts: Sts;
  beforeAll(async () => {
    recorded = startTestMetrics();
    server = await refusingSts();
    sts = new Sts({
      endpointOverride: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'AKIAEXAMPLEEXAMPLE00', secretAccessKey: 'not-a-real-secret-key-but-long-enough-40c' },
    });
  });
  afterAll(async () => {
    sts.destroy();
    server.close();
    await recorded.shutdown();
  });

  it('counts each failed call by action, AWS code and runtrail code, with no role, session or secret as a label', async () => {
    for (let i = 0; i < 2; i++)
      await expect(
        sts.assumeRole({ roleArn: ROLE, region: 'us-east-1', sessionName: '01JRUNID0000000000000000@x@acme', durationSeconds: 900, externalId: 'acme@x@read' }),
      ).rejects.toMatchObject({ awsCode: 'AccessDenied' });
    const text = await recorded.text();
    const samples = text.split('\n').filter((l) => l.startsWith('runtrail_sts_errors_total'));
    expect(samples).toEqual([
      'runtrail_sts_errors_total{rpc_method="AssumeRole",error_type="AccessDenied",runtrail_error_code="ACCESS_DENIED",otel_scope_name="runtrail"} 2',
    ]);
    expect(text).not.toMatch(/deployer|01JRUNID|acme@x|not-a-real-secret/);
  });
});
