/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const HEADER = /^AWS4-HMAC-SHA256\s+(.*)$/;

/** Parses the header; returns a reason string when it is malformed (AWS: IncompleteSignature). */
export function parseAuthorization(header: string): ParsedAuthorization | string {
  const match = HEADER.exec(header.trim());
  if (!match)
    return `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' with the AWS4-HMAC-SHA256 algorithm.`;
  const fields = new Map<string, string>();
  for (const part of match[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const required of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!fields.get(required))
      return `Authorization header requires '${required}' parameter. Authorization=${header.slice(0, 40)}...`;
  }
  const scope = (fields.get('Credential') ?? '').split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !/^\d{8}$/.test(scope[1])) {
    return `Credential should be scoped to a valid region, like <key>/<YYYYMMDD>/<region>/<service>/aws4_request.`;
  }
  const signature = fields.get('Signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(signature)) return 'Signature must be 64 lower-case hex characters.';
  return {
    accessKeyId: scope[0],
    scopeDate: scope[1],
    region: scope[2],
    service: scope[3],
    signedHeaders: (fields.get('SignedHeaders') ?? '').split(';').map((h) => h.trim().toLowerCase()),
    signature,
  };
}

/** `20240101T000000Z` to a Date, or null. */
export function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
