import '../../fixtures/handler-env';
import type { SQSEvent } from 'aws-lambda';
import { handler } from '../../../lambdas/flush-authorizer-caches';
import { FLUSH_QUEUE_URL, FLUSH_TARGETS_PATH, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';

const aws = mockAws();
let output: CapturedOutput;

const sqsEvent = (...bodies: string[]): SQSEvent =>
  ({ Records: bodies.map((body, index) => ({ messageId: `m${index + 1}`, body })) }) as SQSEvent;
const flush = (followUp: boolean) => JSON.stringify({ requestedAt: '2026-11-26T12:00:00.000Z', followUp });

beforeEach(() => {
  aws.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

it('flushes each registered stage once for the whole batch, REST and HTTP alike, and queues one follow-up', async () => {
  // More stages than one page: every page is read.
  aws.flush.on('GetParametersByPath').resolvesOnce({
    Parameters: [{ Name: `${FLUSH_TARGETS_PATH}/a`, Value: JSON.stringify({ kind: 'rest', apiId: 'a1', stageName: 'v1' }) }],
    NextToken: 'page-2',
  });
  aws.flush.on('GetParametersByPath', { NextToken: 'page-2' }).resolves({
    Parameters: [
      { Name: `${FLUSH_TARGETS_PATH}/b`, Value: JSON.stringify({ kind: 'http', apiId: 'h1', stageName: '$default' }) },
    ],
  });
  expect(await handler(sqsEvent(flush(false), flush(false), flush(true)))).toEqual({ batchItemFailures: [] });
  expect(aws.flush.inputs('FlushStageAuthorizersCache')).toEqual([{ restApiId: 'a1', stageName: 'v1' }]);
  expect(aws.flush.inputs('ResetAuthorizersCache')).toEqual([{ ApiId: 'h1', StageName: '$default' }]);
  expect(aws.flush.calls('SendMessage')).toHaveLength(1);
  expect(aws.flush.inputs('SendMessage')).toContainEqual(expect.objectContaining({ QueueUrl: FLUSH_QUEUE_URL, DelaySeconds: 6 }));
});

it('hands the whole batch back to SQS when a flush fails, logging the kind of failure only', async () => {
  aws.flush
    .on('FlushStageAuthorizersCache')
    .rejects(Object.assign(new Error('secret detail'), { name: 'TooManyRequestsException' }));
  expect(await handler(sqsEvent(flush(false), flush(true)))).toEqual({
    batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }],
  });
  expect(output.text()).toContain('TooManyRequestsException');
  expect(output.text()).not.toContain('secret detail');
});

it('drops a message that is not a flush request rather than retry it forever', async () => {
  expect(await handler(sqsEvent('not json', JSON.stringify({ hello: 1 })))).toEqual({ batchItemFailures: [] });
  expect(aws.flush.calls('FlushStageAuthorizersCache')).toEqual([]);
  expect(aws.flush.calls('ResetAuthorizersCache')).toEqual([]);
  expect(output.text()).toContain('not a flush request');
});
