import type { ConsentDescription } from '@cloudflare/workers-oauth-provider';

/**
 * The client's sign-in and consent page. Everything an OAuth client chose (its name, its URI, its
 * redirect host) is attacker-controlled, from dynamic registration or a metadata document, so all
 * of it is escaped; the page runs no script at all, which the CSP enforces.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** No framing (clickjacking the Allow button), no caching (the page holds a one-time handle), no script. */
const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export interface ConsentView {
  /** This worker's client (CLIENT_ID): whose server the person signs in to. */
  client: string;
  details: ConsentDescription;
  handle: string;
  csrf: string;
  /** Federated sign-in is configured: show its button. */
  oidc: boolean;
  /** Why the last attempt failed, for the person. */
  error?: string;
  email?: string;
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}
form{margin:1.5rem 0;padding:1rem;border:1px solid #ccc;border-radius:8px}label{display:block;margin:.5rem 0}
input[type=email],input[type=text]{width:100%;padding:.4rem;box-sizing:border-box}button{padding:.4rem 1rem}
.error{color:#a00;font-weight:600}.warn{background:#fff4d6;padding:.5rem}`;

function hidden(view: ConsentView): string {
  return `<input type="hidden" name="handle" value="${escapeHtml(view.handle)}"><input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">`;
}

function asking(details: ConsentDescription): string {
  const name = `<strong>${escapeHtml(details.clientName)}</strong>`;
  const origin = details.clientDomain
    ? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
    : 'This app registered itself; its name is not verified.';
  const uri = details.clientUri ? ` (${escapeHtml(details.clientUri)})` : '';
  const local = details.redirectIsLoopback
    ? '<p class="warn">This sends access to an app on your computer. Continue only if you just started signing in from it.</p>'
    : '';
  return `<p>${name}${uri} asks to use this MCP server as you. ${origin} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>.</p>${local}`;
}

export function consentPage(view: ConsentView, status = 200, headers?: Headers): Response {
  const client = escapeHtml(view.client);
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : '';
  const oidc = view.oidc
    ? `<form method="post" action="/authorize">${hidden(view)}<button name="method" value="oidc">Sign in with your organisation</button></form>`
    : '';
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in to ${client}</title><style>${STYLE}</style></head><body>
<h1>Sign in to ${client}</h1>
${asking(view.details)}
${error}
<form method="post" action="/authorize">${hidden(view)}
<label>Email <input type="email" name="email" autocomplete="email" required value="${escapeHtml(view.email ?? '')}"></label>
<label>Invitation code <input type="text" name="code" autocomplete="one-time-code" required></label>
<button name="method" value="invite">Allow</button></form>
${oidc}
<form method="post" action="/authorize">${hidden(view)}<button name="method" value="deny">Deny</button></form>
</body></html>`;
  return new Response(body, { status, headers: pageHeaders(headers) });
}

/** A page with a message and nothing to submit: an expired form, an app that could not be verified. */
export function messagePage(status: number, title: string, message: string, headers?: Headers): Response {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  return new Response(body, { status, headers: pageHeaders(headers) });
}

/** The page's own headers over whatever the provider returned (its binding cookies among them). */
function pageHeaders(from?: Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of from?.entries() ?? []) {
    if (name.toLowerCase() === 'set-cookie') continue;
    headers.set(name, value);
  }
  for (const cookie of from?.getSetCookie() ?? []) headers.append('set-cookie', cookie);
  for (const [name, value] of Object.entries(PAGE_HEADERS)) headers.set(name, value);
  return headers;
}

/** Headers of several provider steps in one answer: every cookie of each, later values winning otherwise. */
export function mergeHeaders(...sources: Headers[]): Headers {
  const headers = new Headers();
  for (const source of sources) {
    for (const [name, value] of source.entries()) if (name.toLowerCase() !== 'set-cookie') headers.set(name, value);
    for (const cookie of source.getSetCookie()) headers.append('set-cookie', cookie);
  }
  return headers;
}
