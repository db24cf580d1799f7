import { formatCloudTrailDate } from './format-cloudtrail-date';
import { parseCloudTrailDate } from './parse-cloudtrail-date';

describe('CloudTrail dates', () => {
  const noon = new Date('2023-07-10T12:09:47Z');
  const midnight = new Date('2024-08-01T00:05:02Z');

  it('formats like real records: STS expiration, IAM createDate, eventTime', () => {
    expect(formatCloudTrailDate(noon, 'sts')).toBe('Jul 10, 2023, 12:09:47 PM');
    expect(formatCloudTrailDate(noon, 'iam')).toBe('Jul 10, 2023 12:09:47 PM');
    expect(formatCloudTrailDate(noon, 'iso')).toBe('2023-07-10T12:09:47Z');
    expect(formatCloudTrailDate(midnight, 'sts')).toBe('Aug 1, 2024, 12:05:02 AM');
    expect(formatCloudTrailDate(new Date('2024-12-31T23:59:59Z'), 'sts')).toBe('Dec 31, 2024, 11:59:59 PM');
  });

  it('parses every form back to the same instant', () => {
    for (const d of [noon, midnight, new Date('2024-01-02T13:00:00Z')]) {
      for (const style of ['sts', 'iam', 'iso'] as const) {
        expect(parseCloudTrailDate(formatCloudTrailDate(d, style))?.toISOString()).toBe(d.toISOString());
      }
    }
    expect(parseCloudTrailDate('Jul 10, 2023, 12:31:14 PM')?.toISOString()).toBe('2023-07-10T12:31:14.000Z');
    expect(parseCloudTrailDate(1688990987)?.toISOString()).toBe('2023-07-10T12:09:47.000Z');
    expect(parseCloudTrailDate(1688990987000)?.toISOString()).toBe('2023-07-10T12:09:47.000Z');
  });

  it('returns null for what is not a date', () => {
    for (const v of [
      null,
      undefined,
      '',
      'soon',
      'Foo 10, 2023, 12:09:47 PM',
      'Jul 10, 2023, 13:09:47 PM',
      {},
      NaN,
    ]) {
      expect(parseCloudTrailDate(v)).toBeNull();
    }
  });
});
