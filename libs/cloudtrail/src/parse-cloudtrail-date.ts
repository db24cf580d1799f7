const MONTH_INDEX: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

// `Jul 10, 2023, 12:09:47 PM` (STS expiration) and `Jul 10, 2023 12:09:21 PM` (IAM createDate).
const HUMAN = /^([A-Za-z]{3})\s+(\d{1,2}),\s*(\d{4}),?\s+(\d{1,2}):(\d{2}):(\d{2})\s*([AaPp][Mm])$/;

/**
 * Reads any date CloudTrail writes: ISO 8601, the human `Mon D, YYYY, h:mm:ss AM` forms (UTC), or
 * epoch seconds/milliseconds as a number or digit string. Returns null when it is none of these.
 */
export function parseCloudTrailDate(value: unknown): Date | null {
  if (typeof value === 'number') return Number.isFinite(value) ? fromEpoch(value) : null;
  if (typeof value !== 'string' || value.length === 0) return null;
  const human = HUMAN.exec(value.trim());
  if (human) return fromHuman(human);
  if (/^\d+(\.\d+)?$/.test(value)) return fromEpoch(Number(value));
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

function fromHuman(m: RegExpExecArray): Date | null {
  const month = MONTH_INDEX[m[1].toLowerCase()];
  if (month === undefined) return null;
  let hours = Number(m[4]);
  if (hours > 12) return null;
  const pm = m[7].toLowerCase() === 'pm';
  if (hours === 12) hours = pm ? 12 : 0;
  else if (pm) hours += 12;
  return new Date(Date.UTC(Number(m[3]), month, Number(m[2]), hours, Number(m[5]), Number(m[6])));
}

// CloudTrail never writes dates before 2001, so anything below 1e11 is seconds, not milliseconds.
function fromEpoch(n: number): Date {
  return new Date(n < 1e11 ? n * 1000 : n);
}
