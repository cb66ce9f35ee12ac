/**
 * P7 (DESIGN §15): an admin answer waits only for the AWS calls it promises.
 * The deployed handlers, in a process of their own, every AWS call recorded
 * (test/support/response-path-depth.ts); the depth of calls made one after
 * another, per variant, within the budget, once the environment has read its
 * configuration: the stages to flush and the tenant's arrangement are not read
 * again per request.
 */
import { type DepthMeasure, measureResponsePathDepths, P7_BUDGETS } from '../../support/response-path-depth';

let measures: DepthMeasure[];

beforeAll(async () => {
  measures = await measureResponsePathDepths();
}, 60_000);

it('measures every operation, without and with Idempotency-Key and with expiresAt', () => {
  expect(measures.map(({ operation, variant }) => `${operation}: ${variant}`)).toEqual([
    'create: plain',
    'create: with Idempotency-Key',
    'create: with expiresAt',
    'create: with Idempotency-Key and expiresAt',
    'update: a rename',
    'update: a disable (flushes now)',
    'update: an earlier expiresAt (flushes now, schedules)',
    'delete: plain',
    'revoke: plain (flushes now)',
    'revoke: with a reason (flushes now)',
    'rotate: no grace period (flushes now)',
    'rotate: with Idempotency-Key',
    'rotate: a grace period, of a key with expiresAt',
    'rotate: with Idempotency-Key, of a key with expiresAt',
  ]);
});

it.each(Object.entries(P7_BUDGETS))('%s answers within %i calls in a row, in every variant', (operation, budget) => {
  const over = measures
    .filter((measure) => measure.operation === operation && measure.depth > budget)
    .map(({ variant, levels }) => ({ variant, levels }));
  expect(over).toEqual([]);
});

it('reads no configuration per request: neither the stages to flush nor the tenant, once read', () => {
  for (const { levels } of measures) {
    expect(levels.flat()).not.toContain('GetParametersByPath');
    expect(levels.flat()).not.toContain('GetItem');
  }
});

it('makes the calls that wait on nothing else at once: the flush, its follow-up, the schedules and the last write', () => {
  // The old key's flush moved to the end of its grace, and the replacement's flush and expiry warning.
  const rotation = measures.find(
    ({ operation, variant }) => operation === 'rotate' && variant === 'with Idempotency-Key, of a key with expiresAt',
  );
  expect(rotation?.levels).toEqual([
    ['PutItem', 'Query'],
    ['PutItem'],
    ['UpdateItem'],
    ['CreateSchedule', 'CreateSchedule', 'CreateSchedule', 'FlushStageAuthorizersCache', 'SendMessage', 'UpdateItem'],
  ]);
});
