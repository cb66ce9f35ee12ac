/**
 * The two languages an authorizer policy has to tell apart, for one method such
 * as `GET /orders/{orderId}`:
 *
 * - its **patterns**, the resources an IAM policy can name for it:
 *   `GET/orders/*`, where `*` matches any run of characters, `/` included;
 * - its **requests**, the method-ARN suffixes API Gateway routes to it:
 *   `GET/orders/` then one or more characters other than `/` (a greedy
 *   `{proxy+}` takes one or more of any character).
 *
 * A method answers for one or more verbs: one, or for ANY, every verb that has
 * no method of its own on the same resource (API Gateway routes those to their
 * own method). `reaches(a, b)` says whether one of a's patterns matches one of
 * b's requests: an Allow for a would also let some of b's requests through. It
 * is decided exactly, by searching the product of the two automata.
 */

/** The verbs a method answers for, and its API Gateway resource path with `{param}` and `{param+}`. */
export interface MethodShape {
  verbs: readonly string[];
  path: string;
}

type CharClass = { kind: 'char'; char: string } | { kind: 'any' } | { kind: 'notSlash' };

interface Automaton {
  /** Transitions by state: on a character class to a state. */
  moves: { on: CharClass; to: number }[][];
  /** Moves that consume nothing. */
  epsilon: number[][];
  accepting: number;
}

class AutomatonBuilder {
  private readonly moves: { on: CharClass; to: number }[][] = [[]];
  private readonly epsilon: number[][] = [[]];
  private current = 0;

  private newState(): number {
    this.moves.push([]);
    this.epsilon.push([]);
    return this.moves.length - 1;
  }

  literal(text: string): this {
    for (const char of text) {
      const next = this.newState();
      this.moves[this.current].push({ on: { kind: 'char', char }, to: next });
      this.current = next;
    }
    return this;
  }

  /** Any run of characters in the class, at least `min` of them. */
  run(on: CharClass, min: 0 | 1): this {
    const loop = this.newState();
    if (min === 0) this.epsilon[this.current].push(loop);
    else this.moves[this.current].push({ on, to: loop });
    this.moves[loop].push({ on, to: loop });
    this.current = loop;
    return this;
  }

  build(): Automaton {
    return { moves: this.moves, epsilon: this.epsilon, accepting: this.current };
  }
}

const ANY: CharClass = { kind: 'any' };
const NOT_SLASH: CharClass = { kind: 'notSlash' };

/** `{name}` or `{name+}` as a whole segment. */
const PARAMETER = /^\{[^}]+\}$/;
const GREEDY_PARAMETER = /^\{[^}]+\+\}$/;

function segmentsOf(path: string): string[] {
  return path === '/' ? [''] : path.replace(/^\//, '').split('/');
}

/** The IAM resource suffixes for a method, one per verb: `GET/orders/*`, every parameter a `*`. */
export function methodPatterns(shape: MethodShape): string[] {
  const path = segmentsOf(shape.path)
    .map((segment) => (PARAMETER.test(segment) ? '*' : segment))
    .join('/');
  return shape.verbs.map((verb) => `${verb}/${path}`);
}

function patternAutomaton(pattern: string): Automaton {
  const builder = new AutomatonBuilder();
  for (const piece of pattern.split(/(\*)/)) {
    if (piece === '*') builder.run(ANY, 0);
    else builder.literal(piece);
  }
  return builder.build();
}

function requestAutomaton(verb: string, path: string): Automaton {
  const builder = new AutomatonBuilder();
  builder.literal(verb);
  for (const segment of segmentsOf(path)) {
    builder.literal('/');
    if (GREEDY_PARAMETER.test(segment)) builder.run(ANY, 1);
    else if (PARAMETER.test(segment)) builder.run(NOT_SLASH, 1);
    else builder.literal(segment);
  }
  return builder.build();
}

function overlap(a: CharClass, b: CharClass): boolean {
  if (a.kind === 'char' && b.kind === 'char') return a.char === b.char;
  if (a.kind === 'char') return b.kind === 'any' || a.char !== '/';
  if (b.kind === 'char') return a.kind === 'any' || b.char !== '/';
  return true;
}

function closure(automaton: Automaton, state: number): number[] {
  const seen = new Set([state]);
  const stack = [state];
  while (stack.length > 0) {
    for (const next of automaton.epsilon[stack.pop() as number]) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return [...seen];
}

/** Whether some string is in both languages: a search of the product automaton. */
function intersects(left: Automaton, right: Automaton): boolean {
  const seen = new Set<string>();
  const queue: [number, number][] = [];
  const visit = (l: number, r: number) => {
    for (const a of closure(left, l)) {
      for (const b of closure(right, r)) {
        const id = `${a},${b}`;
        if (!seen.has(id)) {
          seen.add(id);
          queue.push([a, b]);
        }
      }
    }
  };
  visit(0, 0);
  while (queue.length > 0) {
    const [l, r] = queue.shift() as [number, number];
    if (l === left.accepting && r === right.accepting) return true;
    for (const moveLeft of left.moves[l]) {
      for (const moveRight of right.moves[r]) {
        if (overlap(moveLeft.on, moveRight.on)) visit(moveLeft.to, moveRight.to);
      }
    }
  }
  return false;
}

/** Compiles methods once, to ask which method's patterns reach which method's requests. */
export class MethodPatterns {
  private readonly patterns: Automaton[][];
  private readonly requests: Automaton[][];

  constructor(private readonly shapes: readonly MethodShape[]) {
    this.patterns = shapes.map((shape) => methodPatterns(shape).map(patternAutomaton));
    this.requests = shapes.map((shape) => shape.verbs.map((verb) => requestAutomaton(verb, shape.path)));
  }

  /** Whether an Allow or Deny for method `a` also matches some request API Gateway could route to method `b`. */
  reaches(a: number, b: number): boolean {
    return this.patterns[a].some((pattern) => this.requests[b].some((requests) => intersects(pattern, requests)));
  }

  /** Whether method `a`'s path has no parameter: API Gateway routes a request for that path to its resource, before any parameter. */
  hasStaticPath(a: number): boolean {
    return !segmentsOf(this.shapes[a].path).some((segment) => PARAMETER.test(segment));
  }
}
