import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultRulesSchema, type ValidFaultRule } from '../faults/fault-rule.schema';
import type { RequestCount } from './request-counter';

/** What the admin endpoints read and change. */
export interface AdminApi {
  health(): Record<string, unknown>;
  faults(): ValidFaultRule[];
  setFaults(rules: ValidFaultRule[]): void;
  requestCounts(): RequestCount[];
  resetRequestCounts(): void;
  flushLogs(): Promise<string[]>;
}

/**
 * `/_emulator/*`: `GET health`, `GET|POST faults` (body: a rule list or `{"rules": [...]}`),
 * `GET|DELETE requests` (request counts), `POST flush` (write pending CloudTrail log files).
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: Buffer,
  api: AdminApi,
): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_emulator/health':
      return json(res, 200, api.health());
    case 'GET /_emulator/faults':
      return json(res, 200, { rules: api.faults() });
    case 'POST /_emulator/faults':
    case 'PUT /_emulator/faults':
      return setFaults(res, body, api);
    case 'GET /_emulator/requests':
      return json(res, 200, { requests: api.requestCounts() });
    case 'DELETE /_emulator/requests':
      api.resetRequestCounts();
      return json(res, 200, { requests: [] });
    case 'POST /_emulator/flush':
      return json(res, 200, { files: await api.flushLogs() });
    default:
      return json(res, 404, { error: 'NOT_FOUND', message: `No admin route ${route}` });
  }
}

function setFaults(res: ServerResponse, body: Buffer, api: AdminApi): void {
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8') || '[]');
  } catch {
    return json(res, 400, { error: 'VALIDATION_FAILED', message: 'The body is not JSON' });
  }
  const rules = Array.isArray(input) ? input : (input as { rules?: unknown } | null)?.rules;
  const parsed = faultRulesSchema.safeParse(rules);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), rule: i.message }));
    return json(res, 400, { error: 'VALIDATION_FAILED', message: 'Invalid fault rules', issues });
  }
  api.setFaults(parsed.data);
  json(res, 200, { rules: api.faults() });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
