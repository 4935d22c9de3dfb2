import { sameSecret } from '../same-secret';

/**
 * Double-submit CSRF token for the consent form: the same random value in a cookie and in a hidden
 * field. A page on another site can post the form but can neither read nor set the cookie
 * (SameSite=Strict, and `__Host-` pins it to this exact origin over https), so its post is refused.
 * This is on top of the provider's own cookie binding of the consent handle.
 */

/** The form lives ten minutes, as the provider's consent handle does. */
const MAX_AGE_SECONDS = 600;

function cookieName(url: URL): string {
  // `__Host-` requires Secure, which a browser drops on plain http (wrangler dev on an IP).
  return url.protocol === 'https:' ? '__Host-mcp-csrf' : 'mcp-csrf';
}

function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/**
 * The token for a page that shows the form, and the Set-Cookie header that carries its twin. A
 * browser that already holds one keeps it, so two tabs signing in at once both stay valid.
 */
export function issueCsrf(request: Request): { token: string; cookie: string } {
  const url = new URL(request.url);
  const held = readCookie(request, cookieName(url));
  const token = held && /^[A-Za-z0-9_-]{43}$/.test(held) ? held : randomToken();
  const secure = url.protocol === 'https:' ? '; Secure' : '';
  return { token, cookie: `${cookieName(url)}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${MAX_AGE_SECONDS}${secure}` };
}

/** Whether a submitted form carries the token its browser's cookie holds. */
export async function csrfMatches(request: Request, submitted: File | string | null): Promise<boolean> {
  const cookie = readCookie(request, cookieName(new URL(request.url)));
  if (!cookie || typeof submitted !== 'string' || submitted === '') return false;
  return sameSecret(cookie, submitted);
}
