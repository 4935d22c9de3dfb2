import { type ApiResponse, errors } from '../envelope.js';

/** What a handler gets: the request, the path's named parts (decoded) and the query. */
export interface RequestContext {
  request: Request;
  params: Record<string, string>;
  query: URLSearchParams;
}

export type Handler = (ctx: RequestContext) => Promise<ApiResponse>;

export interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Routes by method and path pattern (`:name` is one path segment); the first route added wins. */
export class Router {
  private readonly routes: Route[] = [];

  readonly route = (method: string, pattern: string, handler: Handler): void => {
    this.routes.push(compile(method, pattern, handler));
  };

  /** The route for the request, or none; `otherMethod` says whether the path exists under another method (405, not 404). */
  match(method: string, path: string): { matched?: RouteMatch; otherMethod: boolean } {
    let otherMethod = false;
    for (const candidate of this.routes) {
      const m = candidate.regex.exec(path);
      if (!m) continue;
      if (candidate.method !== method) {
        otherMethod = true;
        continue;
      }
      const params: Record<string, string> = {};
      candidate.keys.forEach((key, index) => {
        params[key] = safeDecode(m[index + 1] ?? '');
      });
      return { matched: { route: candidate, params }, otherMethod };
    }
    return { otherMethod };
  }
}

function compile(method: string, pattern: string, handler: Handler): Route {
  const keys: string[] = [];
  const source = pattern.replace(/:([a-z]+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { method, pattern, regex: new RegExp(`^${source}/?$`), keys, handler };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// ---- reading requests ----------------------------------------------------------------------------

/** Wrangler's uploads are recorded as from "wrangler", everything else as from "api" (as Cloudflare shows them). */
export function sourceOf(request: Request): string {
  return /wrangler/i.test(request.headers.get('user-agent') ?? '') ? 'wrangler' : 'api';
}

export function positiveInt(text: string | null, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The string-valued entries of an object (annotations); anything else reads as empty. */
export function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await request.text());
  } catch {
    throw errors.badRequest('The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw errors.badRequest('The request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** PATCH …/settings takes multipart with a `settings` part (the SDK) or plain JSON. */
export async function readSettingsBody(request: Request): Promise<Record<string, unknown>> {
  if ((request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
    const form = await request.formData().catch(() => {
      throw errors.badRequest('Malformed multipart body');
    });
    const part = form.get('settings');
    if (part === null) throw errors.badRequest('The request has no "settings" part');
    const text = typeof part === 'string' ? part : await part.text();
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw errors.badRequest('The "settings" part must be a JSON object');
  }
  return readJsonObject(request);
}
