import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CliIo } from '../output/cli-io';

/** A request the stub received. */
export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: unknown;
}

type Answer = { status: number; body?: unknown; type?: string };

/**
 * A local HTTP server standing in for runtrail's API in the CLI's unit tests: it answers what
 * `route` returns and records every request.
 */
export async function startApiStub(
  route: (request: StubRequest) => Answer,
): Promise<{ url: string; requests: StubRequest[]; close: () => Promise<void> }> {
  const requests: StubRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const text = Buffer.concat(chunks).toString('utf8');
      const request: StubRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        authorization: req.headers.authorization,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
      requests.push(request);
      const answer = route(request);
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A problem+json answer as runtrail's services send it. */
export function problem(status: number, detail: string, extra: Record<string, unknown> = {}): Answer {
  return {
    status,
    type: 'application/problem+json',
    body: { type: 'about:blank', title: 'Error', status, detail, ...extra },
  };
}

/** An in-memory {@link CliIo}: what a command printed on each stream. */
export function capturedIo(progress = false): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    progress,
    out: () => out,
    err: () => err,
  };
}
