import type { JSONPath, Node } from 'jsonc-parser';
import { usageError } from '../util/errors.js';
import { displayPath, type JsoncDocument, kindOf, lineAndColumn, nodeAt, positionOf } from './jsonc-document.js';

/**
 * The parts of a wrangler config that mcp-fleet reads, checked before anything uses them, so a
 * wrong type is an error naming the file and line rather than a crash further down. Written by
 * hand rather than with zod: loading zod costs more than the whole `list` command otherwise takes.
 */
interface Problem {
  path: JSONPath;
  expected: string;
  missing?: boolean;
}

type Check = (value: unknown, path: JSONPath) => Problem | undefined;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const string: Check = (value, path) => (typeof value === 'string' ? undefined : { path, expected: 'a string' });
const boolean: Check = (value, path) => (typeof value === 'boolean' ? undefined : { path, expected: 'true or false' });
const anyObject =
  (expected: string): Check =>
  (value, path) =>
    isObject(value) ? undefined : { path, expected };

function listOf(item: Check, expected: string): Check {
  return (value, path) => {
    if (!Array.isArray(value)) return { path, expected };
    for (const [index, element] of value.entries()) {
      const problem = item(element, [...path, index]);
      if (problem) return problem;
    }
    return undefined;
  };
}

function fields(expected: string, spec: Record<string, { check: Check; required?: boolean }>): Check {
  return (value, path) => {
    if (!isObject(value)) return { path, expected };
    for (const [key, field] of Object.entries(spec)) {
      if (!Object.hasOwn(value, key)) {
        if (field.required) return { path: [...path, key], expected: field.check(undefined, [])?.expected ?? 'set', missing: true };
        continue;
      }
      const problem = field.check(value[key], [...path, key]);
      if (problem) return problem;
    }
    return undefined;
  };
}

const dataset = fields('an object like { "binding": "ANALYTICS", "dataset": "acme_metrics" }', {
  binding: { check: string, required: true },
  dataset: { check: string },
});
const datasets = listOf(dataset, 'a list of { "binding": …, "dataset": … } objects');
const kvNamespace = fields('an object like { "binding": "OAUTH_KV", "id": "<namespace id>" }', {
  binding: { check: string, required: true },
  id: { check: string, required: true },
});
const kvNamespaces = listOf(kvNamespace, 'a list of { "binding": …, "id": … } objects');
/** Cloudflare's Rate Limiting counts over 10 or 60 seconds; mcp-fleet's own entries come from fleet/rate-limits.ts. */
const positiveIntegerString: Check = (value, path) =>
  typeof value === 'string' && /^[1-9]\d*$/.test(value) ? undefined : { path, expected: 'a positive integer as a string, like "1001"' };
const positiveInteger: Check = (value, path) =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? undefined : { path, expected: 'a positive whole number' };
const ratePeriod: Check = (value, path) =>
  value === 10 || value === 60 ? undefined : { path, expected: '10 or 60 (seconds: the periods Cloudflare counts over)' };
const rateLimit = fields('an object like { "name": "RATE_LIMITER", "namespace_id": "1001", "simple": { "limit": 100, "period": 60 } }', {
  name: { check: string, required: true },
  namespace_id: { check: positiveIntegerString, required: true },
  simple: {
    check: fields('an object like { "limit": 100, "period": 60 }', {
      limit: { check: positiveInteger, required: true },
      period: { check: ratePeriod, required: true },
    }),
    required: true,
  },
});
const rateLimits = listOf(rateLimit, 'a list of { "name": …, "namespace_id": …, "simple": { "limit": …, "period": … } } objects');
const route: Check = (value, path) =>
  typeof value === 'string'
    ? undefined
    : fields('a pattern string or an object with a "pattern"', { pattern: { check: string, required: true } })(value, path);

/** What a client's worker is read from: an env section, or the top level for the default worker. */
const workerSettings = {
  name: { check: string },
  vars: { check: anyObject('an object of variables') },
  analytics_engine_datasets: { check: datasets },
  kv_namespaces: { check: kvNamespaces },
  ratelimits: { check: rateLimits },
  routes: { check: listOf(route, 'a list of routes') },
  route: { check: route },
  workers_dev: { check: boolean },
};

const envSection = fields('an object (the settings of one client)', workerSettings);

const topLevel = fields('an object (the wrangler config)', {
  ...workerSettings,
  main: { check: string },
  account_id: { check: string },
  env: { check: anyObject('an object with one section per client') },
});

function checkEnvSections(value: unknown): Problem | undefined {
  const env = isObject(value) ? value.env : undefined;
  if (!isObject(env)) return undefined;
  for (const [name, section] of Object.entries(env)) {
    const problem = envSection(section, ['env', name]);
    if (problem) return problem;
  }
  return undefined;
}

function valueAt(value: unknown, path: JSONPath): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isObject(current) && typeof segment === 'string') current = current[segment];
    else return undefined;
  }
  return current;
}

function describeProblem(doc: JsoncDocument, problem: Problem): string {
  const what = displayPath(problem.path) || 'the top level';
  if (problem.missing) {
    const parent = nodeAt(doc, problem.path.slice(0, -1));
    return `${positionOf(doc, parent?.offset ?? 0)}: ${what} is missing; expected ${problem.expected}`;
  }
  const found = kindOf(valueAt(doc.value, problem.path));
  return `${positionOf(doc, nodeAt(doc, problem.path)?.offset ?? 0)}: ${what} should be ${problem.expected}, not ${found}`;
}

/** The property nodes of an object node, by key, in file order. */
export function propertiesOf(object: Node | undefined): { key: string; keyNode: Node; property: Node }[] {
  if (object?.type !== 'object') return [];
  return (object.children ?? []).flatMap((property) => {
    const keyNode = property.children?.[0];
    return keyNode && typeof keyNode.value === 'string' ? [{ key: keyNode.value, keyNode, property }] : [];
  });
}

/**
 * A key written twice: wrangler silently takes the second, while an edit by path would change the
 * first (and `upgrade-config` would add to an object wrangler ignores, on every run). Every object
 * is checked, from the top level down, in file order; the depth is capped before (jsonc-document.ts).
 */
function checkDuplicates(doc: JsoncDocument): void {
  const pending: { node: Node; path: JSONPath }[] = [{ node: doc.root, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, path } = next;
    const children: { node: Node; path: JSONPath }[] = [];
    if (node.type === 'array') {
      for (const [index, element] of (node.children ?? []).entries()) children.push({ node: element, path: [...path, index] });
    } else if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const { key, keyNode, property } of propertiesOf(node)) {
        const first = seen.get(key);
        if (first) {
          const what = path.length === 0 ? JSON.stringify(key) : `${displayPath(path)} ${JSON.stringify(key)}`;
          const lines = [first, keyNode].map((at) => lineAndColumn(doc.body, at.offset).line);
          throw usageError(
            `${positionOf(doc, keyNode.offset)}: ${what} is written twice, on lines ${lines.join(' and ')}; wrangler would silently use the second`,
            `Merge the two into one in ${doc.path}; mcp-fleet changed nothing.`,
          );
        }
        seen.set(key, keyNode);
        const value = property.children?.[1];
        if (value) children.push({ node: value, path: [...path, key] });
      }
    }
    // An object's own keys are checked before its members', and the members in file order.
    pending.push(...children.reverse());
  }
}

/** Throws a usage error naming file, line and what was expected when the config has the wrong shape. */
export function checkConfigShape(doc: JsoncDocument): void {
  const fail = (problem: Problem) => usageError(describeProblem(doc, problem), `Fix it in ${doc.path}; mcp-fleet changed nothing.`);
  checkDuplicates(doc);
  const problem = topLevel(doc.value, []);
  if (problem) throw fail(problem);
  const envProblem = checkEnvSections(doc.value);
  if (envProblem) throw fail(envProblem);
}
