import type { QueryParams } from '../http/query-protocol';

/** Never logged: credentials a request itself carries. */
const SECRET_PARAMS = new Set(['WebIdentityToken', 'SAMLAssertion']);
const NUMERIC_PARAMS = new Set(['DurationSeconds', 'MaxSessionDuration', 'MaxItems']);

/**
 * CloudTrail's `requestParameters` for a Query call: lower-camel names, `X.member.N` lists as
 * arrays and `X.member.N.Field` structures as objects (`Tags.member.1.Key` -> `tags[0].key`).
 */
export function requestParametersOf(params: QueryParams): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  const lists = new Map<string, Map<number, unknown>>();
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version' || SECRET_PARAMS.has(key)) continue;
    const m = /^([^.]+)\.member\.(\d+)(?:\.(.+))?$/.exec(key);
    if (!m) {
      out[lowerFirst(key)] = NUMERIC_PARAMS.has(key) && /^\d+$/.test(value) ? Number(value) : value;
      continue;
    }
    const name = lowerFirst(m[1]);
    let list = lists.get(name);
    if (!list) lists.set(name, (list = new Map()));
    const index = Number(m[2]);
    if (m[3] === undefined) list.set(index, value);
    else {
      const item = (list.get(index) as Record<string, string> | undefined) ?? {};
      item[lowerFirst(m[3])] = value;
      list.set(index, item);
    }
  }
  for (const [name, list] of lists)
    out[name] = [...list.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  return Object.keys(out).length ? out : null;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
