/** Key management: ECDH-ES with a fresh ephemeral key per message, wrapping the content key with AES-256-KW. */
export const SEALING_ALG = 'ECDH-ES+A256KW';
/** Content encryption: AES-256-GCM, so any change to header, key or ciphertext is detected. */
export const SEALING_ENC = 'A256GCM';
/** The curve of every sealing key (the curve `publicEcJwk` in contracts accepts). */
export const SEALING_CURVE = 'P-256';
