// Tolerant readers for members of an untyped record: real logs put null, '' or odd types anywhere.

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string member, else null. */
export function str(obj: Json | null | undefined, key: string): string | null {
  const value = obj?.[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function obj(parent: Json | null | undefined, key: string): Json | null {
  const value = parent?.[key];
  return isObject(value) ? value : null;
}

export function bool(parent: Json, key: string): boolean | null {
  const value = parent[key];
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

export function num(parent: Json | null, key: string): number | null {
  const value = parent?.[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}
