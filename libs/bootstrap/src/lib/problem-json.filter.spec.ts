import {
  Body,
  CanActivate,
  Controller,
  Delete,
  Get,
  ImATeapotException,
  Injectable,
  Module,
  Param,
  Patch,
  Post,
  UseGuards,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RuntrailError } from '@runtrail/contracts';
import { gzipSync } from 'node:zlib';
import { configureHttp } from './bootstrap-service';
import { BODY_LIMIT_BYTES } from './strict-json-body';

@Injectable()
class KeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (
      context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['authorization'] ===
      'Bearer ok'
    )
      return true;
    throw new RuntrailError('UNAUTHENTICATED', 'send an API key');
  }
}

const received: unknown[] = [];

@Controller('things')
@UseGuards(KeyGuard)
class ThingsController {
  @Post()
  create(@Body() body: unknown) {
    received.push(body);
    return { created: body ?? null };
  }

  @Get(':id')
  get(@Param('id') id: string) {
    if (id === 'boom') throw new Error('secret-internal-detail');
    if (id === 'teapot') throw new ImATeapotException();
    return { id };
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown) {
    return { id, body: body ?? null };
  }

  @Delete(':id')
  remove(@Param('id') id: string) {
    return { removed: id };
  }
}

@Module({ controllers: [ThingsController], providers: [KeyGuard] })
class TestModule {}

describe('problem+json for every HTTP error, strict JSON bodies', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create(TestModule, { logger: false, bodyParser: false });
    configureHttp(app);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());
  beforeEach(() => (received.length = 0));

  const auth = { authorization: 'Bearer ok' };

  async function problem(response: Response) {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual(
      expect.objectContaining({
        type: 'about:blank',
        status: response.status,
        title: expect.any(String),
        detail: expect.any(String),
        code: expect.any(String),
      }),
    );
    return body;
  }

  const post = (body: RequestInit['body'], headers: Record<string, string>, path = '/things') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { ...auth, ...headers }, body });

  it('takes a JSON object sent as application/json (with or without a charset)', async () => {
    const plain = await post('{"a":1}', { 'content-type': 'application/json' });
    expect(plain.status).toBe(201);
    const charset = await post('{"a":2}', { 'content-type': 'application/json; charset=utf-8' });
    expect(charset.status).toBe(201);
    const gzipped = await post(gzipSync('{"a":3}'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(gzipped.status).toBe(201);
    expect(received).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it.each([
    ['form-encoded', 'application/x-www-form-urlencoded', 'name=x'],
    ['text/plain', 'text/plain', '{"name":"x"}'],
    ['XML', 'application/xml', '<name>x</name>'],
    ['JSON-like', 'application/vnd.api+json', '{"name":"x"}'],
  ])('refuses a %s body with 415 naming Content-Type, and never reads it', async (_what, type, body) => {
    const response = await post(body, { 'content-type': type });
    expect(response.status).toBe(415);
    expect(await problem(response)).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      issues: [{ path: 'Content-Type', rule: 'must be application/json' }],
    });
    expect(received).toEqual([]);
  });

  it('refuses a body without a Content-Type with 415', async () => {
    const response = await fetch(`${base}/things/x`, {
      method: 'PATCH',
      headers: auth,
      body: new Blob(['{"a":1}']),
    });
    expect(response.status).toBe(415);
    expect(await problem(response)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('leaves the body undefined when none is sent, for the route to refuse', async () => {
    const response = await post(undefined, {});
    expect(response.status).toBe(201);
    expect(received).toEqual([undefined]);
  });

  it('refuses malformed JSON and bare JSON values with 400 naming the body', async () => {
    for (const body of ['{"a":', '"just a string"', 'null', '\u0000']) {
      const response = await post(body, { 'content-type': 'application/json' });
      expect(response.status).toBe(400);
      expect(await problem(response)).toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ path: '(body)', rule: 'must be a JSON object' }],
      });
    }
  });

  it('keeps 413 for a body over the limit, also once inflated', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(BODY_LIMIT_BYTES) });
    for (const [body, headers] of [
      [big, { 'content-type': 'application/json' }],
      [gzipSync(big), { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
    ] as const) {
      const response = await post(body, headers);
      expect(response.status).toBe(413);
      expect(await problem(response)).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        issues: [{ path: '(body)', rule: `must be at most ${BODY_LIMIT_BYTES} bytes` }],
      });
    }
  });

  it('keeps 415 for an unsupported Content-Encoding or charset', async () => {
    const encoding = await post('{"a":1}', {
      'content-type': 'application/json',
      'content-encoding': 'x-zstd-ish',
    });
    expect(encoding.status).toBe(415);
    expect(await problem(encoding)).toMatchObject({
      issues: [{ path: 'Content-Encoding', rule: expect.any(String) }],
    });
    const charset = await post('{"a":1}', { 'content-type': 'application/json; charset=ebcdic' });
    expect(charset.status).toBe(415);
    expect(await problem(charset)).toMatchObject({
      issues: [{ path: 'Content-Type', rule: 'charset must be utf-8' }],
    });
  });

  it('answers a garbled gzip body with 400', async () => {
    const response = await post('not gzip at all', {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(response.status).toBe(400);
    await problem(response);
  });

  it('authenticates before it refuses a body: 401 for a bad body without a key', async () => {
    for (const [body, type] of [
      ['{"a":', 'application/json'],
      ['name=x', 'application/x-www-form-urlencoded'],
    ]) {
      const response = await fetch(`${base}/things`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(response.status).toBe(401);
      expect(await problem(response)).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('answers unknown routes with 404 and unknown methods on a known path with 405 and Allow', async () => {
    const unknown = await fetch(`${base}/nowhere`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(await problem(unknown)).toMatchObject({ code: 'NOT_FOUND' });
    const method = await fetch(`${base}/things`, { method: 'PUT', headers: auth });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');
    expect(await problem(method)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const onId = await fetch(`${base}/things/x`, { method: 'POST', headers: auth });
    expect(onId.status).toBe(405);
    expect(onId.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
  });

  it('answers undecodable percent-encoding in a path id with 400 naming the path', async () => {
    const response = await fetch(`${base}/things/%E0%A4%A`, { headers: auth });
    expect(response.status).toBe(400);
    expect(await problem(response)).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: '(path)', rule: 'must be valid percent-encoded UTF-8' }],
    });
  });

  it('keeps the status of any other HTTP error and hides unexpected ones behind a 500', async () => {
    const teapot = await fetch(`${base}/things/teapot`, { headers: auth });
    expect(teapot.status).toBe(418);
    await problem(teapot);
    const boom = await fetch(`${base}/things/boom`, { headers: auth });
    expect(boom.status).toBe(500);
    const body = await problem(boom);
    expect(JSON.stringify(body)).not.toContain('secret-internal-detail');
  });
});
