export { parseCloudTrailRecord, type ParseOptions } from './parse-cloudtrail-record';
export { readCloudTrailFile, type CloudTrailFileItem } from './read-cloudtrail-file';
export {
  readCloudTrailRecords,
  type CloudTrailSource,
  type RawCloudTrailRecord,
  type ReadRecordsOptions,
} from './read-cloudtrail-records';
export { formatCloudTrailDate, type CloudTrailDateStyle } from './format-cloudtrail-date';
export { parseCloudTrailDate } from './parse-cloudtrail-date';
export { CloudTrailFileError, type CloudTrailFileErrorCode } from './lib/cloudtrail-file.error';
export type * from './lib/normalized-event.types';
export type * from './lib/cloudtrail-record.types';
