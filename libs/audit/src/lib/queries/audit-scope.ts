/**
 * What an API key may see: one runtrail account, and within it every space or only some. Events
 * that no run of the account made are never shown to it (they may belong to anybody).
 */
export interface AuditScope {
  account: string;
  /** Null: every space of the account. */
  visibleSpaces: string[] | null;
}

/** SQL restricting rows with `account`/`space_id` columns to a scope. */
export function scopeSql(scope: AuditScope, alias = ''): { sql: string; params: string[] } {
  const a = alias ? `${alias}.` : '';
  if (scope.visibleSpaces === null) return { sql: `${a}"account" = ?`, params: [scope.account] };
  if (!scope.visibleSpaces.length) return { sql: '1 = 0', params: [] };
  return {
    sql: `${a}"account" = ? and ${a}"space_id" in (${scope.visibleSpaces.map(() => '?').join(', ')})`,
    params: [scope.account, ...scope.visibleSpaces],
  };
}
