const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * The human date styles CloudTrail uses inside responseElements (always UTC):
 * - `sts`: credentials expiration, `Jul 10, 2023, 12:09:47 PM`
 * - `iam`: IAM `createDate`, `Jul 10, 2023 12:09:21 PM`
 * - `iso`: top-level times such as `eventTime`, `2023-07-10T12:09:47Z` (no milliseconds)
 */
export type CloudTrailDateStyle = 'sts' | 'iam' | 'iso';

/** Formats a date the way real CloudTrail records spell it in the given place. */
export function formatCloudTrailDate(date: Date, style: CloudTrailDateStyle): string {
  if (style === 'iso') return `${date.toISOString().slice(0, 19)}Z`;
  const hours = date.getUTCHours();
  const h12 = hours % 12 === 0 ? 12 : hours % 12;
  const time = `${h12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
  const day = `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
  return style === 'sts' ? `${day}, ${time}` : `${day} ${time}`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
