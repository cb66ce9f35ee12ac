import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { MethodPatterns, methodPatterns } from './method-patterns';
import { ROUTES } from './routes';

/**
 * A method behind the x-api-key authorizer, as its API declares it: which
 * requests, and what a key needs for them. These declarations are the one
 * source the gateway's methods, the authorizer's policies and local mode are
 * all built from.
 */
export interface ProtectedMethod {
  /** `GET`, `POST`, ... or `ANY`. */
  method: string;
  /** The API Gateway resource path, e.g. `/orders/{orderId}`. */
  path: string;
  /** The scope a key must hold; absent: any valid key. */
  scope?: string;
}

/** The service's own methods behind the x-api-key authorizer, declared as any protected API declares its methods. */
export const SERVICE_PROTECTED_METHODS: readonly ProtectedMethod[] = ROUTES.filter(
  (route) => route.authorization === 'apiKey',
).map(({ method, path, scope }) => (scope === undefined ? { method, path } : { method, path, scope }));

/**
 * The declarations of one stage as the authorizer uses them: for each method,
 * the policy resources that name exactly its routed requests as far as IAM can
 * (`patterns`), and the other methods whose patterns reach its requests. A key's
 * policy allows what it may call and denies, among the rest, exactly what those
 * Allows reach.
 */
export interface CompiledMethods {
  methods: { scope?: string; patterns: string[]; reachedBy: number[] }[];
}

/** What API Gateway's ANY stands for on a REST or HTTP API. */
const ALL_VERBS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** The verbs API Gateway routes to a method: its own, or for ANY those its resource has no method of its own for. */
function routedVerbs(method: ProtectedMethod, all: readonly ProtectedMethod[]): string[] {
  if (method.method !== 'ANY') return [method.method];
  const named = new Set(all.filter((other) => other.path === method.path).map((other) => other.method));
  return ALL_VERBS.filter((verb) => !named.has(verb));
}

class AmbiguousMethodsError extends Error {
  readonly name = 'AmbiguousMethodsError';
}

const describe = (method: ProtectedMethod) =>
  `${method.method} ${method.path} (${method.scope === undefined ? 'any valid key' : method.scope})`;

const requirementOf = (method: ProtectedMethod) => method.scope ?? '';

/**
 * Works out which methods each one's pattern reaches, and refuses a set of
 * declarations that no cached answer can serve exactly. API Gateway caches one
 * answer per key for the whole stage, as an IAM policy whose resources can only
 * use `*` (which also matches `/`). A method that needs a scope the key lacks is
 * denied when an Allowed pattern reaches it; that Deny must not, in turn, reach
 * the requests of a method the key may call.
 */
export function compileMethods(methods: readonly ProtectedMethod[]): CompiledMethods {
  const seen = new Set<string>();
  for (const method of methods) {
    const id = `${method.method} ${method.path}`;
    if (seen.has(id)) throw new AmbiguousMethodsError(`${id} is declared twice`);
    seen.add(id);
  }
  const shapes = methods.map((method) => ({ verbs: routedVerbs(method, methods), path: method.path }));
  const patterns = new MethodPatterns(shapes);
  /**
   * Whether an Allow or Deny of `source` would also decide requests API Gateway routes
   * to `target`. The patterns of a static path name exactly the requests routed to
   * it: API Gateway routes a static path to its own resource before any parameter,
   * and there each verb to its own method before ANY.
   */
  const reaches = (source: number, target: number) =>
    source !== target && !patterns.hasStaticPath(source) && patterns.reaches(source, target);
  const reachedBy = methods.map((_, target) => methods.flatMap((_, source) => (reaches(source, target) ? [source] : [])));
  for (const [denied, method] of methods.entries()) {
    if (method.scope === undefined) continue;
    // Only a method with another requirement can be allowed while this one is denied.
    const allowers = reachedBy[denied].filter((other) => requirementOf(methods[other]) !== method.scope);
    if (allowers.length === 0) continue;
    const harmed = methods.findIndex((other, index) => requirementOf(other) !== method.scope && reaches(denied, index));
    if (harmed >= 0) {
      throw new AmbiguousMethodsError(
        `${describe(method)} and ${describe(methods[harmed])} cannot be told apart by one cached authorizer answer: ` +
          `the pattern ${methodPatterns(shapes[denied]).join(', ')} also matches requests of the other (and ${describe(methods[allowers[0]])} ` +
          'reaches the first). Give them the same scope, or use paths that do not overlap.',
      );
    }
  }
  return {
    methods: methods.map((method, index) => ({
      ...(method.scope === undefined ? {} : { scope: method.scope }),
      patterns: methodPatterns(shapes[index]),
      reachedBy: reachedBy[index],
    })),
  };
}

/** Stage variable names: the declarations, in order, in as many parts as they need. */
export const METHODS_VARIABLE_PREFIX = 'apiKeyMethods';
/** API Gateway's limits: 100 variables a stage, values of at most 512 characters. */
export const STAGE_VARIABLE_VALUE_LIMIT = 512;
export const STAGE_VARIABLES_LIMIT = 100;
/**
 * Stage variable values may hold only letters, digits and `-._~:/?#&=,`: base64
 * with `-` and `.` for its two symbols, and no padding.
 */
const toStageAlphabet = (base64: string) => base64.replace(/\+/g, '-').replace(/\//g, '.').replace(/=+$/, '');
const fromStageAlphabet = (text: string) => text.replace(/-/g, '+').replace(/\./g, '/');

type EncodedMethod = [scope: string | null, patterns: string[], reachedBy: number[]];

/** The stage variables that carry a stage's declarations to the authorizer. */
export function encodeMethods(compiled: CompiledMethods): Record<string, string> {
  const payload: EncodedMethod[] = compiled.methods.map((m) => [m.scope ?? null, m.patterns, m.reachedBy]);
  const text = toStageAlphabet(deflateRawSync(JSON.stringify(payload), { level: 9 }).toString('base64'));
  const variables: Record<string, string> = {};
  for (let start = 0, part = 0; start < text.length; start += STAGE_VARIABLE_VALUE_LIMIT, part++) {
    variables[`${METHODS_VARIABLE_PREFIX}${part}`] = text.slice(start, start + STAGE_VARIABLE_VALUE_LIMIT);
  }
  return variables;
}

/** The declarations back from a stage's variables; undefined when they are missing or damaged. */
export function decodeMethods(
  variables: Readonly<Record<string, string | undefined>> | null | undefined,
): CompiledMethods | undefined {
  if (!variables) return undefined;
  let text = '';
  for (let part = 0; variables[`${METHODS_VARIABLE_PREFIX}${part}`] !== undefined; part++) {
    text += variables[`${METHODS_VARIABLE_PREFIX}${part}`];
  }
  if (text === '') return undefined;
  try {
    const payload = JSON.parse(
      inflateRawSync(Buffer.from(fromStageAlphabet(text), 'base64')).toString('utf8'),
    ) as EncodedMethod[];
    return {
      methods: payload.map(([scope, patterns, reachedBy]) => ({ ...(scope === null ? {} : { scope }), patterns, reachedBy })),
    };
  } catch {
    return undefined;
  }
}
