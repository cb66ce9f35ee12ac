/** A function calls a capability its deployment did not grant (its settings are not set): a wiring bug, never swallowed. */
export class MissingGrantError extends Error {
  readonly name = 'MissingGrantError';
}
