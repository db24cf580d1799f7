import { StsClientCache } from './sts-client.cache';

async function whereItCalls(cache: StsClientCache, ...args: Parameters<StsClientCache['clientFor']>) {
  const client = cache.clientFor(...args);
  const endpoint = await client.config.endpoint!();
  return {
    url: `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}`,
    signingRegion: await client.config.region(),
    sdkAttempts: await client.config.maxAttempts(),
  };
}

describe('StsClientCache', () => {
  const aws = new StsClientCache({});
  afterAll(() => aws.destroy());

  it.each([
    ['aws', null, 'https://sts.amazonaws.com', 'us-east-1'],
    ['aws', 'eu-west-1', 'https://sts.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['aws-cn', null, 'https://sts.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    ['aws-us-gov', null, 'https://sts.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
  ] as const)(
    'calls STS in %s with region %s at %s, signed for %s, without SDK retries',
    async (p, r, url, signing) => {
      expect(await whereItCalls(aws, p, r)).toEqual({ url, signingRegion: signing, sdkAttempts: 1 });
    },
  );

  it('keeps one client per endpoint and region, resolving its middleware once per command type', async () => {
    expect(aws.clientFor('aws', 'eu-west-1')).toBe(aws.clientFor('aws', 'eu-west-1'));
    expect(aws.clientFor('aws', 'eu-west-1').config.cacheMiddleware).toBe(true);
    expect(aws.clientFor('aws', 'eu-west-1')).not.toBe(aws.clientFor('aws', 'eu-central-1'));
  });

  it("sends every call to the override, signed for the partition's region", async () => {
    const emulator = new StsClientCache({ endpointOverride: 'http://127.0.0.1:4566' });
    expect(await whereItCalls(emulator, 'aws-cn', null)).toMatchObject({
      url: 'http://127.0.0.1:4566',
      signingRegion: 'cn-north-1',
    });
    emulator.destroy();
  });

  it('refuses a region of another partition before calling anything, even with an override', () => {
    const emulator = new StsClientCache({ endpointOverride: 'http://127.0.0.1:4566' });
    for (let i = 0; i < 2; i++)
      expect(() => emulator.clientFor('aws', 'cn-north-1')).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
  });
});
