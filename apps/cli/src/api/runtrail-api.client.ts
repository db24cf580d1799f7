import { context, propagation } from '@opentelemetry/api';
import { envUrl } from '@runtrail/config';

/** Where the REST API is and the key to call it with (`RUNTRAIL_URL`, `RUNTRAIL_API_KEY`). */
export interface ApiConnection {
  apiUrl: string;
  apiKey: string;
}

export const DEFAULT_RUNTRAIL_URL = 'http://127.0.0.1:8080';

/**
 * Reads `RUNTRAIL_URL` (default {@link DEFAULT_RUNTRAIL_URL}) and `RUNTRAIL_API_KEY`.
 * @param whichKey the key the command needs, said when it is missing.
 * @throws Error naming the variable that is missing or bad (callers turn it into a usage error).
 */
export function apiConnectionOf(env: NodeJS.ProcessEnv, whichKey: string): ApiConnection {
  const apiKey = env['RUNTRAIL_API_KEY'];
  if (!apiKey) throw new Error(`RUNTRAIL_API_KEY is not set: ${whichKey}`);
  const url = envUrl({ protocols: ['http', 'https'] }).safeParse(env['RUNTRAIL_URL'] || DEFAULT_RUNTRAIL_URL);
  if (!url.success) throw new Error(`RUNTRAIL_URL: ${url.error.issues[0]?.message ?? 'invalid'}`);
  return { apiUrl: url.data, apiKey };
}

/** An answer other than 2xx: the problem's detail (RFC 9457) when the API sent one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The problem+json body (its extensions, e.g. a refused trust policy's checks), when there was one. */
    readonly problem: Record<string, unknown> | null,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined>;

/**
 * runtrail's REST API (integrations' runs and admin routes, audit's queries) as the CLI calls it:
 * JSON in and out, a bearer key, a timeout. Errors carry the API's problem detail, never the key.
 */
export class RuntrailApiClient {
  constructor(
    private readonly connection: ApiConnection,
    private readonly timeoutMs = 15_000,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', path, query);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, {}, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, {}, body);
  }

  delete(path: string): Promise<void> {
    return this.call<void>('DELETE', path, {});
  }

  private async call<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const base = this.connection.apiUrl.endsWith('/') ? this.connection.apiUrl : `${this.connection.apiUrl}/`;
    // Relative to the base, so an API behind a path prefix (https://host/runtrail/) keeps it.
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.connection.apiKey}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    // The caller's trace continues in the API (`traceparent`; nothing when not tracing).
    propagation.inject(context.active(), headers);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
      throw new Error(
        `runtrail's API at ${url.origin} did not answer ${method} ${path}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const problem = problemOf(text);
      throw new ApiError(
        `${method} ${path} answered ${response.status}: ${problemDetail(problem, text)}`,
        response.status,
        problem,
      );
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(
        `${method} ${path} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  }
}

function problemOf(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The problem's `detail` with its field `issues` and `reasons`, else the body's start. */
function problemDetail(problem: Record<string, unknown> | null, text: string): string {
  const detail = problem?.['detail'];
  if (typeof detail === 'string')
    return [detail, ...listed(problem?.['issues']), ...listed(problem?.['reasons'])].join('; ');
  return text.slice(0, 300) || '(no body)';
}

function listed(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((item: unknown) => {
    if (typeof item === 'string') return item;
    const { path, rule, message } = (item ?? {}) as Record<string, unknown>;
    if (typeof path === 'string' && typeof rule === 'string') return `${path}: ${rule}`;
    return typeof message === 'string' ? message : JSON.stringify(item);
  });
}
