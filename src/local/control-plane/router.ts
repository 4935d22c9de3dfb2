import { type ApiResponse, errors } from '../net/envelope.js';

/** The names of a pattern's `:name` segments: `/a/:x/b/:y` → `'x' | 'y'`. */
type ParamNames<Pattern extends string> = Pattern extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<Rest>
  : Pattern extends `${string}:${infer Name}`
    ? Name
    : never;

/** A pattern's named parts, each one decoded path segment: every name the pattern has is present. */
export type Params<Pattern extends string> = { readonly [Name in ParamNames<Pattern>]: string };

/** What a handler gets: the request, the path's named parts (decoded) and the query. */
export interface RequestContext<Pattern extends string = string> {
  request: Request;
  params: Params<Pattern>;
  query: URLSearchParams;
}

export type Handler<Pattern extends string = string> = (ctx: RequestContext<Pattern>) => Promise<ApiResponse>;

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

  readonly route = <Pattern extends string>(method: string, pattern: Pattern, handler: Handler<Pattern>): void => {
    // compile() captures exactly the pattern's names, so the handler gets every param its type promises.
    this.routes.push(compile(method, pattern, handler as Handler));
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

/** Runs the matched route's handler. */
export function invoke({ route, params }: RouteMatch, request: Request): Promise<ApiResponse> {
  return route.handler({ request, params, query: new URL(request.url).searchParams });
}

function compile(method: string, pattern: string, handler: Handler): Route {
  const keys: string[] = [];
  // A name runs to the next slash, as ParamNames reads it.
  const source = pattern.replace(/:([^/]+)/g, (_, key: string) => {
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

/** The request body as JSON, or 10001. */
export async function readJson(request: Request): Promise<unknown> {
  try {
    return JSON.parse(await request.text()) as unknown;
  } catch {
    throw errors.badRequest('The request body is not valid JSON');
  }
}

export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const value = await readJson(request);
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
