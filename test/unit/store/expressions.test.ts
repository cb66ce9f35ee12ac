import { allOf, buildExpressions, namePlaceholders } from '../../../src/store/expressions';

describe('buildExpressions', () => {
  const N = namePlaceholders(['keyHash', 'lastUsedAt', 'name']);

  it('names exactly the attributes its expressions use, under their own names', () => {
    expect(
      buildExpressions(
        { condition: allOf(`attribute_exists(${N.keyHash})`, `${N.lastUsedAt} < :cutoff`), set: [`${N.lastUsedAt} = :now`] },
        { ':cutoff': 'a', ':now': 'b' },
      ),
    ).toEqual({
      ConditionExpression: 'attribute_exists(#keyHash) AND #lastUsedAt < :cutoff',
      UpdateExpression: 'SET #lastUsedAt = :now',
      ExpressionAttributeNames: { '#keyHash': 'keyHash', '#lastUsedAt': 'lastUsedAt' },
      ExpressionAttributeValues: { ':cutoff': 'a', ':now': 'b' },
    });
  });

  it('joins SET and REMOVE, and leaves out what is empty', () => {
    expect(buildExpressions({ set: [], remove: [N.name] })).toEqual({
      UpdateExpression: 'REMOVE #name',
      ExpressionAttributeNames: { '#name': 'name' },
    });
  });

  it('parenthesises a condition with an OR, and nothing else', () => {
    expect(allOf('#a = :a', '#b < :b OR attribute_not_exists(#b)')).toBe('#a = :a AND (#b < :b OR attribute_not_exists(#b))');
  });

  it('refuses a used placeholder without a value, and a value nothing uses', () => {
    expect(() => buildExpressions({ condition: `${N.name} = :name` })).toThrow(':name');
    expect(() => buildExpressions({ condition: `${N.name} = :name` }, { ':name': 'a', ':extra': 1 })).toThrow(':extra');
  });
});
