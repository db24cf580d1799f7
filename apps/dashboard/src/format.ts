/** `2026-12-02 07:03:15Z`: UTC, to the second, the same on every screen and in every export. */
export function time(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A `datetime-local` input's value (read as UTC) as an ISO time for the API, or undefined. */
export function isoFromInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The last part of an ARN (`role/app` -> `app`), for narrow cells; the full ARN goes in a title. */
export function shortArn(arn: string | null | undefined): string {
  if (!arn) return '—';
  return arn.split(':').slice(5).join(':') || arn;
}
