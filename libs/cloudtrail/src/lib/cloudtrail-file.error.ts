/** Why a CloudTrail file as a whole could not be read (single bad records are reported, not thrown). */
export type CloudTrailFileErrorCode = 'NOT_A_CLOUDTRAIL_FILE' | 'TRUNCATED_FILE';

export class CloudTrailFileError extends Error {
  override readonly name = 'CloudTrailFileError';

  constructor(
    readonly code: CloudTrailFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}
