/**
 * Where CloudTrail's S3 delivery puts a region's log files:
 * `<prefix>/AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz`.
 * Keys sort by day folder, then by the delivery minute in the name; within a minute the 16
 * characters are random in AWS, so key order is not delivery order there.
 */
export function trailRegionFolder(prefix: string | null, accountId: string, region: string): string {
  const base = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
  return `${base}AWSLogs/${accountId}/CloudTrail/${region}/`;
}

/**
 * A `StartAfter` that sorts before every log file of `folder` delivered in `ms`'s minute or later,
 * and after every file of earlier minutes (it is the shared start of that minute's names).
 */
export function logKeyFloor(folder: string, accountId: string, region: string, ms: number): string {
  const iso = new Date(ms).toISOString();
  const [y, m, d, hh, mm] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16)];
  return `${folder}${y}/${m}/${d}/${accountId}_CloudTrail_${region}_${y}${m}${d}T${hh}${mm}Z`;
}

const STAMP = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/;

/** The delivery minute in a log file's name (epoch ms), or null for a name CloudTrail did not make. */
export function logKeyMinute(key: string): number | null {
  const m = STAMP.exec(key);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi);
  return Number.isNaN(ms) ? null : ms;
}

/** CloudTrail log files (`.json.gz`, or `.json` as some copies hold them); digests and other objects are skipped. */
export const LOG_FILE_KEY = /\.json(\.gz)?$/;
