/**
 * Which query (and fragment) parameters `logs` never shows the value of. A request URL, or a URL a
 * worker writes into a console line, often carries a credential by name: `?jwt=…`, `?access_token=…`,
 * `#id_token=…` (OAuth's implicit flow), `X-Amz-Signature=…`, `?sig=…` (Azure SAS), `?apikey=…`.
 * Matching is case-insensitive and errs on the side of blanking: a blanked page number costs
 * nothing, a printed token is a leak.
 */

/** A name holding one of these anywhere is a credential: access_token, client_secret, X-Amz-Signature, apiKey, passphrase, oauth_verifier. */
export const CREDENTIAL_NAME_PARTS = [
  'token',
  'jwt',
  'secret',
  'pass',
  'pwd',
  'key',
  'auth',
  'sig',
  'session',
  'credential',
  'code',
  'bearer',
  'assertion',
  'ticket',
  'cookie',
  'saml',
  'hmac',
  'private',
  'verifier',
] as const;

/** Short names that are credentials on their own, though they are parts of ordinary words too (otp=, sid=, pin=). */
export const CREDENTIAL_NAMES = ['otp', 'sid', 'pin', 'nonce', 'hash'] as const;

export function isCredentialParam(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_NAME_PARTS.some((part) => lower.includes(part)) || (CREDENTIAL_NAMES as readonly string[]).includes(lower);
}

const BLANK = '…';

/** A URL with the values of credential-named parameters (query and fragment) and any user:password blanked. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not absolute: nothing tells where the query's names end, so the whole query goes.
    return raw.replace(/\?.*$/, '?…');
  }
  url.username = '';
  url.password = '';
  for (const name of [...new Set(url.searchParams.keys())]) if (isCredentialParam(name)) url.searchParams.set(name, BLANK);
  if (url.hash) url.hash = redactParamsIn(url.hash);
  return url.toString();
}

/** `?name=value`, `&name=value`, `#name=value` or `;name=value`, up to the next separator, space or quote. */
const PARAM = /([?&#;])([^=?&#;\s"'<>]+)=([^&#;\s"'<>]*)/g;

/**
 * Text with the values of credential-named parameters blanked wherever a query or fragment appears
 * in it (a console line that prints a URL, absolute or not), and the password of any `scheme://user:password@`.
 */
export function redactParamsIn(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:"'<>]*:[^\s/@"'<>]*@/gi, '$1')
    .replace(PARAM, (match, separator: string, name: string) =>
      isCredentialParam(decoded(name)) ? `${separator}${name}=${BLANK}` : match,
    );
}

function decoded(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
