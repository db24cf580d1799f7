// The only way the dashboard talks to runtrail: the public REST APIs (integrations' /v1 and
// audit's /v1/audit), same origin, with the API key the person entered. The key lives in
// sessionStorage only (gone when the tab closes), goes out in the Authorization header only, and is
// never put in a URL, a log line or the page.

const KEY_ITEM = 'runtrail.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

/** An error answer of the API: its problem+json members when it sent them. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly code: string | null,
  ) {
    super(detail || title);
  }
}

export type Query = Record<string, string | number | undefined | null>;

/** `path?query` without empty parameters. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function problemOf(response: Response): Promise<ApiProblem> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { title?: string; detail?: string; code?: string; message?: string };
    return new ApiProblem(response.status, body.title ?? response.statusText, body.detail ?? body.message ?? '', body.code ?? null);
  } catch {
    return new ApiProblem(response.status, response.statusText || `HTTP ${response.status}`, '', null);
  }
}

/** A request with the stored key; a non-2xx answer throws {@link ApiProblem}. */
export async function request(path: string, init: RequestInit = {}, key = storedKey()): Promise<Response> {
  if (!key) throw new ApiProblem(401, 'Signed out', 'enter an API key to sign in', 'UNAUTHENTICATED');
  const response = await fetch(path, {
    ...init,
    headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${key}` },
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!response.ok) throw await problemOf(response);
  return response;
}

export async function getJson<T>(path: string, query?: Query): Promise<T> {
  return (await (await request(withQuery(path, query))).json()) as T;
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  const response = await request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as T;
}

/** Every item of a small list of integrations' (`limit` ≤ 100 there), following `nextCursor`. */
export async function getAll<T>(path: string, query: Query = {}, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const answer: { items: T[]; nextCursor?: string | null } = await getJson(path, { ...query, limit: 100, cursor });
    items.push(...answer.items);
    cursor = answer.nextCursor ?? null;
    if (!cursor) break;
  }
  return items;
}
