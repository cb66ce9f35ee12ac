/**
 * DynamoDB expressions from named parts. Attribute-name placeholders are `#` and
 * the attribute's own name, taken from a typed list, so a misspelt attribute does
 * not compile; the name and value maps sent with a request hold exactly the
 * placeholders its expressions use, as DynamoDB requires.
 */

export type NamePlaceholders<A extends string> = { readonly [K in A]: `#${K}` };

export function namePlaceholders<A extends string>(attributes: readonly A[]): NamePlaceholders<A> {
  return Object.fromEntries(attributes.map((attribute) => [attribute, `#${attribute}`])) as NamePlaceholders<A>;
}

/** Conditions that must all hold. One with an OR is parenthesised; key conditions, which allow none, never have one. */
export function allOf(...conditions: string[]): string {
  return conditions.map((condition) => (/\sOR\s/.test(condition) ? `(${condition})` : condition)).join(' AND ');
}

export interface ExpressionParts {
  keyCondition?: string;
  /** A Query's filter: applied to the items read, after Limit. */
  filter?: string;
  condition?: string;
  /** `#a = :a` assignments. */
  set?: string[];
  /** `#a` attributes to remove. */
  remove?: string[];
}

export interface RequestExpressions {
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ConditionExpression?: string;
  UpdateExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

const NAME_PLACEHOLDER = /#([A-Za-z0-9_]+)/g;
const VALUE_PLACEHOLDER = /:([A-Za-z0-9_]+)/g;

/**
 * The expressions of one request and the placeholders they use. Every value
 * placeholder used must be given, and every value given must be used.
 */
export function buildExpressions(parts: ExpressionParts, values: Record<string, unknown> = {}): RequestExpressions {
  const update = [
    parts.set && parts.set.length > 0 ? `SET ${parts.set.join(', ')}` : '',
    parts.remove && parts.remove.length > 0 ? `REMOVE ${parts.remove.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const expressions: RequestExpressions = { ExpressionAttributeNames: {} };
  if (parts.keyCondition) expressions.KeyConditionExpression = parts.keyCondition;
  if (parts.filter) expressions.FilterExpression = parts.filter;
  if (parts.condition) expressions.ConditionExpression = parts.condition;
  if (update) expressions.UpdateExpression = update;

  const text = [parts.keyCondition, parts.filter, parts.condition, update].filter(Boolean).join(' ');
  for (const [, name] of text.matchAll(NAME_PLACEHOLDER)) expressions.ExpressionAttributeNames[`#${name}`] = name;
  const used = new Set([...text.matchAll(VALUE_PLACEHOLDER)].map(([placeholder]) => placeholder));
  for (const placeholder of used) {
    if (!(placeholder in values)) throw new Error(`No value for ${placeholder}`);
  }
  for (const placeholder of Object.keys(values)) {
    if (!used.has(placeholder)) throw new Error(`Value ${placeholder} is not used`);
  }
  if (used.size > 0) expressions.ExpressionAttributeValues = values;
  return expressions;
}
