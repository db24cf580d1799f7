import { parseCloudTrailRecord } from './parse-cloudtrail-record';
import type { NormalizedEvent } from './lib/normalized-event.types';
import {
  readCloudTrailRecords,
  type CloudTrailSource,
  type ReadRecordsOptions,
} from './read-cloudtrail-records';

export type CloudTrailFileItem =
  { index: number; ok: true; event: NormalizedEvent } | { index: number; ok: false; reason: string };

/**
 * Streams the normalised events of a CloudTrail file (`.json` or `.json.gz`, `{"Records":[...]}`
 * or a bare array). Records that cannot be normalised are yielded with `ok: false` and a reason,
 * so one bad record never hides the rest; see `readCloudTrailRecords` for what throws.
 */
export async function* readCloudTrailFile(
  source: CloudTrailSource,
  options: ReadRecordsOptions = {},
): AsyncGenerator<CloudTrailFileItem> {
  for await (const raw of readCloudTrailRecords(source, options)) {
    if (!raw.ok) {
      yield { index: raw.index, ok: false, reason: raw.reason };
      continue;
    }
    const parsed = parseCloudTrailRecord(raw.record, { rawSize: raw.rawSize, depthChecked: true });
    yield parsed.ok
      ? { index: raw.index, ok: true, event: parsed.event }
      : { index: raw.index, ok: false, reason: parsed.reason };
  }
}
