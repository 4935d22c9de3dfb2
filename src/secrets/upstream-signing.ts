/**
 * The key a client's worker signs its upstream requests with (RFC 9421, HMAC-SHA256; see
 * templates/project/src/signing.ts). Unlike the JWT signing key it is a shared secret: the worker
 * needs it to sign and the client's upstream to verify, so it is pushed like any other secret.
 * It is not a key of `.secrets.template` (that would make /ready fail on every worker made before
 * signing existed): `add` makes one for every new client, and a worker without one signs nothing.
 */
export const UPSTREAM_SIGNING_KEY = 'UPSTREAM_SIGNING_KEY';
/** The key before the last `rotate --grace`: the worker signs with it too until `secrets retire`. */
export const UPSTREAM_SIGNING_KEY_PREVIOUS = 'UPSTREAM_SIGNING_KEY_PREVIOUS';
