/**
 * The input constraints AWS STS documents for AssumeRole / AssumeRoleWithWebIdentity parameters.
 * Every value this library produces is checked against them in tests, so a change here is a change
 * to what STS would accept, never a tuning knob.
 *
 * `\w` is ASCII-only (no `u` flag), as in the AWS patterns.
 */

/** `ExternalId`: 2..1224 characters. */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;

/** `RoleSessionName`: 2..64 characters. */
export const ROLE_SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
export const ROLE_SESSION_NAME_MAX_LENGTH = 64;

/** `SourceIdentity`: 2..64 characters; STS also refuses values starting with `aws:`. */
export const SOURCE_IDENTITY_PATTERN = /^[\w+=,.@-]{2,64}$/;

/** Characters STS allows in a session tag key or value (letters, separators and numbers of any script). */
export const SESSION_TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const SESSION_TAG_KEY_MAX_LENGTH = 128;
export const SESSION_TAG_VALUE_MAX_LENGTH = 256;
/** At most 50 session tags per AssumeRole call. */
export const MAX_SESSION_TAGS = 50;
