/**
 * IAM proof: every AWS call a function makes is allowed by the role its template
 * gives it, and every permission that role holds (beyond its own logs) is used by
 * some call. Each function runs as deployed: its own module, loaded afresh with
 * the environment from its template, its calls recorded and then evaluated
 * against its role's policies with AWS's policy logic (@cloud-copilot/iam-simulate).
 */
import '../fixtures/handler-env';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/service-app';
import { ENV } from '../../src/config';
import { buildConsoleAssets } from '../../src/console-bundle';
import type { AuditRecord } from '../../src/domain/audit';
import {
  AUDIT_DELIVERY_ENTRY,
  AUDIT_SWEEPER_ENTRY,
  AUTHORIZER_ENTRY,
  EXPIRY_WARNER_ENTRY,
  FLUSHER_ENTRY,
  HANDLERS,
  type HandlerName,
  JWT_AUTHORIZER_ENTRY,
  USAGE_PLAN_LINK_ENTRY,
  USAGE_PLAN_RECONCILER_ENTRY,
} from '../../src/routes';
import { adminEvent, authorizerEvent, dynamoDbStreamEvent, proxyEvent } from '../fixtures/events';
import { keyRecord, testKey } from '../fixtures/keys';
import { CLIENT_ID, startTestIssuer } from '../fixtures/oidc-issuer';
import { type FunctionHarness, loadFunction } from '../support/function-harness';
import { grantedActions, iamRequestsFor, isAllowed, type RecordedCall } from '../support/iam-requests';
import { ResolvedTemplate, type StackTemplate } from '../support/resolved-template';
import { makeTempDir } from '../support/temp-dir';
import { logicalId, SYNTH_TIMEOUT_MS, testApp } from './helpers';

const TENANT = 'acme';
const FUTURE = '2099-01-01T00:00:00.000Z';

/** A change's audit record waiting in its item since a while ago: `keyId` null for a tenant's own change. */
function waitingRecord(keyId: string | null, id: string): { auditRecords: AuditRecord[]; auditPending: string } {
  const at = '2026-01-01T00:00:00.000Z';
  const record: AuditRecord = {
    id: `aud_${id}`,
    tenantId: TENANT,
    at,
    actor: { type: 'iam', arn: 'arn:aws:iam::123456789012:role/back-office' },
    action: keyId === null ? 'tenant.updated' : 'key.updated',
    keyId,
    keyName: keyId === null ? null : 'n',
    changes: { name: { old: 'a', new: 'b' } },
    requestId: 'r-1',
    sourceIp: '192.0.2.1',
  };
  return { auditRecords: [record], auditPending: at };
}

/**
 * A key issued by an idempotent request whose delivery is behind: as many records wait
 * in it as it may hold, so a change to it delivers them first (and completes the request).
 */
function fullKey() {
  const keyId = keyRecord().keyId;
  const waiting = Array.from(
    { length: 10 },
    (_, index) => waitingRecord(keyId, `01JD5Z00000000000000000F${index}`).auditRecords[0],
  );
  return keyRecord({ tenantId: TENANT, keyId, idempotentRequest: 'digest', auditRecords: waiting, auditPending: waiting[0].at });
}

/** A tenant whose plan change's record waits in its item. */
const CHANGED_TENANT = {
  tenantId: TENANT,
  sk: 'tenant',
  createdAt: FUTURE,
  ...waitingRecord(null, '01JD5Z000000000000000000TN'),
};

const conditionFailed = () =>
  Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

/** A flush schedule exists already under the name the function asks for: it moves it instead. */
function scheduleExists(fn: FunctionHarness): void {
  fn.mocks.flush.on('CreateSchedule').rejects(Object.assign(new Error('exists'), { name: 'ConflictException' }));
}

/**
 * Loads the function with its template's environment. `reachable` replaces only settings that name a place
 * outside AWS the test must stand in for: the identity provider, the console's built assets.
 */
type Load = (seed?: object[], reachable?: Record<string, string>, tenantSeed?: object[]) => FunctionHarness;

/** A tenant whose API Gateway key is in the `pro` usage plan though it has the default plan: the default changed. */
const MOVED_TENANT = { tenantId: TENANT, sk: 'tenant', createdAt: FUTURE, usageKeyId: 'apikey0', usagePlan: 'pro' };

/** The usage plans' ids, as the functions are told them. */
let usagePlanIds: string[] = [];
/** The stages the templates register for the usage plans, as usage plans name them. */
let registeredStages: { apiId: string; stage: string }[] = [];

/** Runs `run` on a fake clock, far enough ahead for UpdateUsagePlan calls spaced 21 s apart. */
async function onFakeClock<T>(run: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  try {
    const done = run();
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    return await done;
  } finally {
    jest.useRealTimers();
  }
}

/** A revocation's refused write, the scenario's last: the store reads the key to tell why (here: deleted meanwhile). */
function deletedMeanwhile(fn: FunctionHarness, record: { keyHash: string }): void {
  fn.mocks.ddb.on(fn.sdk.documents.UpdateCommand).callsFake(() => {
    fn.table.items.delete(record.keyHash);
    throw conditionFailed();
  });
}

/** GitHub's published keys, as its endpoint answers them, and a payload signed with the first. */
function gitHubSigning() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyIdentifier = 'f9525bf080f75b3506ca1ead061add62b8633a346606dc5fe544e29231c6ee0d';
  const published = {
    public_keys: [{ key_identifier: keyIdentifier, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }],
  };
  const signed = (tokens: string[]) => {
    const body = JSON.stringify(
      tokens.map((token) => ({ token, type: 'api_key', url: 'https://github.com/o/r/blob/x', source: 'content' })),
    );
    return adminEvent({
      method: 'POST',
      resource: '/secret-scanning/github',
      body,
      headers: {
        'Github-Public-Key-Identifier': keyIdentifier,
        'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
      },
    });
  };
  return { published, signed };
}

/** What each function does in its life: every path that makes a call of a kind no other path makes. */
const SCENARIOS: Record<string, (load: Load) => Promise<void>> = {
  [JWT_AUTHORIZER_ENTRY]: async (load) => {
    const issuer = await startTestIssuer();
    try {
      const { handler } = load([], { [ENV.consoleIssuer]: issuer.issuer, [ENV.consoleClientId]: CLIENT_ID });
      const event = authorizerEvent({
        resource: '/console/api/keys',
        headers: { Authorization: `Bearer ${await issuer.sign()}` },
      });
      expect((await handler(event)).principalId).toBe('user-1');
    } finally {
      await issuer.close();
    }
  },
  [HANDLERS.consolePage.entry]: async (load) => {
    const assets = await makeTempDir('iam-proof-console');
    try {
      const manifest = buildConsoleAssets(assets.path);
      const { handler } = load([], { [ENV.consoleAssetsDir]: assets.path });
      expect((await handler(proxyEvent({ method: 'GET', resource: '/console' }))).statusCode).toBe(200);
      const script = proxyEvent({ method: 'GET', resource: '/console/{file}', pathParameters: { file: manifest.script } });
      expect((await handler(script)).statusCode).toBe(200);
    } finally {
      await assets.remove();
    }
  },
  [AUTHORIZER_ENTRY]: async (load) => {
    const key = testKey();
    const { handler } = load([keyRecord({ key, tenantId: TENANT })]);
    await handler(authorizerEvent({ apiKey: key }));
  },
  [HANDLERS.createKey.entry]: async (load) => {
    // The tenant's API Gateway key is moved to its plan's usage plan before its key is issued.
    const fn = load([], {}, [MOVED_TENANT]);
    // A retry of a create whose schedule had been made already moves it.
    scheduleExists(fn);
    // An idempotent create, and its repeat.
    const once = adminEvent({
      method: 'POST',
      resource: '/tenants/{tenantId}/keys',
      pathParameters: { tenantId: TENANT },
      body: { name: 'n' },
      headers: { 'Idempotency-Key': 'k-1' },
    });
    expect((await fn.handler(once)).statusCode).toBe(201);
    expect((await fn.handler(once)).statusCode).toBe(200);
    const create = adminEvent({
      method: 'POST',
      resource: '/tenants/{tenantId}/keys',
      pathParameters: { tenantId: TENANT },
      body: { name: 'n', expiresAt: FUTURE },
    });
    // The SDK retried a PutItem that had landed: the store recognises its own item.
    fn.mocks.ddb.on(fn.sdk.documents.PutCommand).callsFakeOnce((input: { Item: Record<string, unknown> }) => {
      fn.table.put(input.Item);
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    });
    expect((await fn.handler(create)).statusCode).toBe(201);
    // A tenant's first key: its API Gateway key is looked for by name, then made.
    const first = adminEvent({
      method: 'POST',
      resource: '/tenants/{tenantId}/keys',
      pathParameters: { tenantId: 'globex' },
      body: { name: 'n' },
    });
    expect((await fn.handler(first)).statusCode).toBe(201);
  },
  [HANDLERS.listKeys.entry]: async (load) => {
    const { handler } = load();
    expect(
      (await handler(adminEvent({ method: 'GET', resource: '/tenants/{tenantId}/keys', pathParameters: { tenantId: TENANT } })))
        .statusCode,
    ).toBe(200);
  },
  [HANDLERS.getKey.entry]: async (load) => {
    const record = keyRecord({ tenantId: TENANT });
    const { handler } = load([record]);
    const get = adminEvent({
      method: 'GET',
      resource: '/tenants/{tenantId}/keys/{keyId}',
      pathParameters: { tenantId: TENANT, keyId: record.keyId },
    });
    expect((await handler(get)).statusCode).toBe(200);
  },
  [HANDLERS.updateKey.entry]: async (load) => {
    const record = keyRecord({ tenantId: TENANT });
    const fn = load([record]);
    scheduleExists(fn);
    const patch = adminEvent({
      method: 'PATCH',
      resource: '/tenants/{tenantId}/keys/{keyId}',
      pathParameters: { tenantId: TENANT, keyId: record.keyId },
      body: { enabled: false, expiresAt: FUTURE },
    });
    expect((await fn.handler(patch)).statusCode).toBe(200);
    // A key with no room for the change's record: its waiting records are delivered first.
    const full = fullKey();
    fn.table.put({ ...full });
    const patchFull = adminEvent({
      method: 'PATCH',
      resource: '/tenants/{tenantId}/keys/{keyId}',
      pathParameters: { tenantId: TENANT, keyId: full.keyId },
      body: { name: 'other' },
    });
    expect((await fn.handler(patchFull)).statusCode).toBe(200);
    // A refused write: the store reads the key to tell why (here: deleted meanwhile).
    fn.mocks.ddb.on(fn.sdk.documents.UpdateCommand).callsFake(() => {
      fn.table.items.delete(record.keyHash);
      throw conditionFailed();
    });
    expect((await fn.handler({ ...patch, body: JSON.stringify({ name: 'other' }) })).statusCode).toBe(404);
  },
  [HANDLERS.deleteKey.entry]: async (load) => {
    const record = keyRecord({ tenantId: TENANT });
    const other = keyRecord({ tenantId: TENANT });
    const fn = load([record, other]);
    const remove = (keyId: string) =>
      adminEvent({
        method: 'DELETE',
        resource: '/tenants/{tenantId}/keys/{keyId}',
        pathParameters: { tenantId: TENANT, keyId },
      });
    expect((await fn.handler(remove(record.keyId))).statusCode).toBe(204);
    // A key with no room for the delete's record: its waiting records are delivered first.
    const full = fullKey();
    fn.table.put({ ...full });
    expect((await fn.handler(remove(full.keyId))).statusCode).toBe(204);
    // A refused mark: the store reads the key to tell why (here: deleted meanwhile, as asked).
    fn.mocks.ddb.on(fn.sdk.documents.UpdateCommand).callsFake(() => {
      fn.table.items.delete(other.keyHash);
      throw conditionFailed();
    });
    expect((await fn.handler(remove(other.keyId))).statusCode).toBe(204);
  },
  [HANDLERS.revokeKey.entry]: async (load) => {
    const record = keyRecord({ tenantId: TENANT });
    const gone = keyRecord({ tenantId: TENANT });
    const full = fullKey();
    const fn = load([record, gone, full]);
    const revoke = (keyId: string) =>
      adminEvent({
        method: 'POST',
        resource: '/tenants/{tenantId}/keys/{keyId}/revoke',
        pathParameters: { tenantId: TENANT, keyId },
        body: { reason: 'leaked' },
      });
    expect((await fn.handler(revoke(record.keyId))).statusCode).toBe(200);
    // A key whose delivery is behind: the revocation's record is the one beyond, and nothing is delivered.
    expect((await fn.handler(revoke(full.keyId))).statusCode).toBe(200);
    deletedMeanwhile(fn, gone);
    expect((await fn.handler(revoke(gone.keyId))).statusCode).toBe(404);
  },
  [HANDLERS.revokeKeyBySecret.entry]: async (load) => {
    const key = testKey();
    const fullSecret = testKey();
    const full = { ...fullKey(), keyHash: keyRecord({ key: fullSecret }).keyHash };
    const fn = load([keyRecord({ key, tenantId: TENANT }), full]);
    const revoke = (secret: string) => adminEvent({ method: 'POST', resource: '/revoke', body: { key: secret } });
    expect((await fn.handler(revoke(key))).statusCode).toBe(202);
    expect((await fn.handler(revoke(fullSecret))).statusCode).toBe(202);
    // An unknown key costs the same one read, and nothing else.
    expect((await fn.handler(revoke(testKey()))).statusCode).toBe(202);
  },
  [HANDLERS.githubSecretScanning.entry]: async (load) => {
    const { published, signed } = gitHubSigning();
    const key = testKey();
    const fullSecret = testKey();
    const full = { ...fullKey(), keyHash: keyRecord({ key: fullSecret }).keyHash };
    const fn = load([keyRecord({ key, tenantId: TENANT }), full]);
    // GitHub's keys: fetched once, and kept in the tenant table for every environment.
    const github = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => Response.json(published));
    try {
      const answer = await fn.handler(signed([key, fullSecret, testKey()]));
      expect(JSON.parse(answer.body).map((entry: { label: string }) => entry.label)).toEqual([
        'true_positive',
        'true_positive',
        'false_positive',
      ]);
      expect(github).toHaveBeenCalledTimes(1);
    } finally {
      github.mockRestore();
    }
  },
  [HANDLERS.listAudit.entry]: async (load) => {
    const { handler } = load();
    const list = adminEvent({
      method: 'GET',
      resource: '/tenants/{tenantId}/audit',
      pathParameters: { tenantId: TENANT },
      query: { from: '2026-01-01T00:00:00Z' },
    });
    expect((await handler(list)).statusCode).toBe(200);
  },
  [AUDIT_SWEEPER_ENTRY]: async (load) => {
    // One key changed, one deleted, a rotation's replacement that never went live, and a tenant: each with its record waiting.
    const changed = keyRecord({ tenantId: TENANT, ...waitingRecord(keyRecord().keyId, '01JD5Z000000000000000000K1') });
    const deleted = keyRecord({
      tenantId: TENANT,
      deleted: true,
      ...waitingRecord(keyRecord().keyId, '01JD5Z000000000000000000K2'),
    });
    const unfinished = keyRecord({
      tenantId: TENANT,
      pending: true,
      ...waitingRecord(keyRecord().keyId, '01JD5Z000000000000000000K3'),
    });
    const fn = load([changed, deleted, unfinished], {}, [CHANGED_TENANT]);
    fn.mocks.ddb.on(fn.sdk.documents.ScanCommand).callsFake((input: { TableName: string }) => ({
      Items:
        input.TableName === fn.environment[ENV.tenantTableName]
          ? [{ tenantId: TENANT, sk: 'tenant', auditPending: CHANGED_TENANT.auditPending }]
          : [changed, deleted, unfinished].map(({ keyHash, auditPending }) => ({ keyHash, auditPending })),
    }));
    await expect(fn.handler({})).resolves.toEqual({ delivered: 3, withdrawn: 1, failed: 0 });
  },
  [AUDIT_DELIVERY_ENTRY]: async (load) => {
    // A key issued by an idempotent request, a deleted key, and a tenant's plan change: each write's record to deliver.
    const issued = keyRecord({
      tenantId: TENANT,
      idempotentRequest: 'digest',
      ...waitingRecord(keyRecord().keyId, '01JD5Z000000000000000000D1'),
    });
    const deleted = keyRecord({
      tenantId: TENANT,
      deleted: true,
      ...waitingRecord(keyRecord().keyId, '01JD5Z000000000000000000D2'),
    });
    const request = { tenantId: TENANT, sk: 'idempotency#digest', state: 'started', keyId: issued.keyId };
    const fn = load([issued, deleted], {}, [CHANGED_TENANT, request]);
    const event = dynamoDbStreamEvent([
      { table: fn.environment[ENV.tableName], newImage: issued },
      {
        table: fn.environment[ENV.tableName],
        newImage: deleted,
        oldImage: { ...deleted, deleted: undefined, auditRecords: undefined },
      },
      { table: fn.environment[ENV.tenantTableName], newImage: CHANGED_TENANT },
    ]);
    await expect(fn.handler(event)).resolves.toEqual({ batchItemFailures: [] });
  },
  [HANDLERS.rotateKey.entry]: async (load) => {
    const rotate = (keyId: string, tenantId = TENANT) =>
      adminEvent({
        method: 'POST',
        resource: '/tenants/{tenantId}/keys/{keyId}/rotate',
        pathParameters: { tenantId, keyId },
        body: {},
      });
    const record = keyRecord({ tenantId: TENANT, expiresAt: FUTURE });
    // The tenant's API Gateway key is moved to its plan's usage plan before the replacement is issued.
    const fn = load([record], {}, [MOVED_TENANT]);
    // The old key's expiry had a schedule already: the end of its grace period moves it.
    scheduleExists(fn);
    expect((await fn.handler(rotate(record.keyId))).statusCode).toBe(201);
    // An idempotent rotation, and its repeat.
    const fresh = keyRecord({ tenantId: TENANT });
    fn.table.put(fresh as never);
    const once = { ...rotate(fresh.keyId), headers: { ...rotate(fresh.keyId).headers, 'Idempotency-Key': 'r-1' } };
    expect((await fn.handler(once)).statusCode).toBe(201);
    expect((await fn.handler(once)).statusCode).toBe(200);
    // A key of a tenant that has no API Gateway key yet: one is looked for by name, then made.
    const unarranged = keyRecord({ tenantId: 'globex' });
    fn.table.put(unarranged as never);
    expect((await fn.handler(rotate(unarranged.keyId, 'globex'))).statusCode).toBe(201);
    // The old key changes mid-rotation: the store tells why its write was refused, and the unseen replacement is withdrawn.
    const changing = keyRecord({ tenantId: TENANT });
    fn.table.put(changing as never);
    fn.mocks.ddb
      .on(fn.sdk.documents.UpdateCommand)
      .rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    expect((await fn.handler(rotate(changing.keyId))).statusCode).toBe(409);
  },
  [HANDLERS.verifyKey.entry]: async (load) => {
    const key = testKey();
    const { handler } = load([keyRecord({ key, tenantId: TENANT })]);
    const verify = adminEvent({ method: 'POST', resource: '/verify', body: { key } });
    expect(JSON.parse((await handler(verify)).body)).toMatchObject({ valid: true });
  },
  [HANDLERS.openApi.entry]: async (load) => {
    const { handler } = load();
    expect((await handler(adminEvent({ method: 'GET', resource: '/openapi.json' }))).statusCode).toBe(200);
  },
  [HANDLERS.whoami.entry]: async (load) => {
    const { handler } = load();
    await handler({ requestContext: { authorizer: { tenantId: TENANT, keyId: 'key_X', keyName: 'n', scopes: '' } } });
  },
  [HANDLERS.getTenant.entry]: async (load) => {
    const { handler } = load();
    const get = adminEvent({ method: 'GET', resource: '/tenants/{tenantId}', pathParameters: { tenantId: TENANT } });
    expect((await handler(get)).statusCode).toBe(200);
  },
  [HANDLERS.setTenantPlan.entry]: async (load) => {
    const { handler } = load();
    const put = (plan: string) =>
      adminEvent({ method: 'PUT', resource: '/tenants/{tenantId}', pathParameters: { tenantId: TENANT }, body: { plan } });
    // A tenant's first plan: its API Gateway key is looked for, made, and put in the usage plan; then moved.
    expect((await handler(put('pro'))).statusCode).toBe(200);
    expect((await handler(put('free'))).statusCode).toBe(200);
  },
  [HANDLERS.getUsage.entry]: async (load) => {
    const { handler } = load([], {}, [MOVED_TENANT]);
    const usage = adminEvent({ method: 'GET', resource: '/tenants/{tenantId}/usage', pathParameters: { tenantId: TENANT } });
    expect((await handler(usage)).statusCode).toBe(200);
  },
  [USAGE_PLAN_LINK_ENTRY]: async (load) => {
    const fn = load();
    const respond = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 200 }));
    try {
      const event = (RequestType: string) => ({
        RequestType,
        ResponseURL: 'https://cloudformation-custom-resource-response.example/',
        StackId: 'stack',
        RequestId: 'request',
        LogicalResourceId: 'Link',
        PhysicalResourceId: 'Link-request',
        ResourceProperties: { UsagePlanIds: usagePlanIds, Stages: ['api1:v1'] },
      });
      const budget = { getRemainingTimeInMillis: () => 600_000 };
      await onFakeClock(() => fn.handler(event('Create'), budget));
      // On delete, a stage no longer registered comes off the plans.
      fn.mocks.apiGateway.on(fn.sdk.apiGateway.GetUsagePlanCommand).resolves({ apiStages: [{ apiId: 'api1', stage: 'v1' }] });
      await onFakeClock(() => fn.handler(event('Delete'), budget));
      expect(respond.mock.calls.map(([, init]) => JSON.parse(String(init?.body)).Status)).toEqual(['SUCCESS', 'SUCCESS']);
    } finally {
      respond.mockRestore();
    }
  },
  [USAGE_PLAN_RECONCILER_ENTRY]: async (load) => {
    // A tenant whose move from pro was cut short, its key in neither plan; and one usage plan that lost the stages.
    const note = {
      tenantId: '#plan-moves',
      sk: TENANT,
      keyId: 'apikey0',
      from: 'pro',
      to: 'free',
      startedAt: FUTURE.replace('2099', '2026'),
    };
    const fn = load([], {}, [MOVED_TENANT, note]);
    fn.mocks.apiGateway
      .on(fn.sdk.apiGateway.GetUsagePlanCommand, { usagePlanId: usagePlanIds[1] })
      .resolves({ apiStages: registeredStages });
    await expect(onFakeClock(() => fn.handler({}, { getRemainingTimeInMillis: () => 240_000 }))).resolves.toMatchObject({
      unlinkedStages: registeredStages.length,
      relinkedPlans: 1,
      planMoves: { finished: 1, left: 0 },
    });
  },
  [EXPIRY_WARNER_ENTRY]: async (load) => {
    // Due: inside the deployed window (a week).
    const soon = new Date(Date.now() + 24 * 60 * 60_000).toISOString();
    const expiring = keyRecord({ tenantId: TENANT, expiresAt: soon });
    const changing = keyRecord({ tenantId: TENANT, expiresAt: soon });
    // Keys given a later expiry whose schedules an older change overwrote: each is scheduled again.
    const moved = keyRecord({ tenantId: TENANT, expiresAt: FUTURE });
    const movedAgain = keyRecord({ tenantId: TENANT, expiresAt: FUTURE });
    const fn = load([expiring, changing, moved, movedAgain]);
    const warning = (key: { keyId: string }, messageId: string) => ({
      messageId,
      body: JSON.stringify({ tenantId: TENANT, keyId: key.keyId, expiresAt: soon }),
    });
    expect(await fn.handler({ Records: [warning(expiring, 'm1'), warning(moved, 'm3')] })).toEqual({ batchItemFailures: [] });
    expect(fn.table.items.get(expiring.keyHash)?.expiryWarnedFor).toBe(soon);
    scheduleExists(fn);
    expect(await fn.handler({ Records: [warning(movedAgain, 'm4')] })).toEqual({ batchItemFailures: [] });
    expect(fn.mocks.flush.calls()).toHaveLength(3);
    // A refused write: the store reads the key to tell why (here: disabled meanwhile, so no warning is due).
    fn.mocks.ddb.on(fn.sdk.documents.UpdateCommand).callsFake(() => {
      (fn.table.items.get(changing.keyHash) as { enabled: boolean }).enabled = false;
      throw conditionFailed();
    });
    expect(await fn.handler({ Records: [warning(changing, 'm2')] })).toEqual({ batchItemFailures: [] });
  },
  [FLUSHER_ENTRY]: async (load) => {
    const fn = load();
    const flush = (followUp: boolean) => JSON.stringify({ requestedAt: FUTURE, followUp });
    const batch = { Records: [flush(false), flush(true)].map((body, index) => ({ messageId: `m${index}`, body })) };
    expect(await fn.handler(batch)).toEqual({ batchItemFailures: [] });
    // Both registered stages: the service's, and the example API's in its own stack.
    expect(fn.mocks.flush.calls('FlushStageAuthorizersCache')).toHaveLength(2);
  },
};

/**
 * Calls Lambda itself makes with a function's role: its SQS poller receives, reads the queue's attributes,
 * deletes; its stream poller reads each stream the function is mapped to, and sends a batch that failed every
 * retry to the mapping's on-failure queue.
 */
function callsByLambda(id: string): RecordedCall[] {
  return template.eventSourcesOf(id).flatMap(({ eventSourceArn, onFailure }) =>
    eventSourceArn.startsWith('arn:aws:sqs:')
      ? ['ReceiveMessageCommand', 'GetQueueAttributesCommand', 'DeleteMessageCommand'].map((command) => ({
          command,
          input: { QueueArn: eventSourceArn },
        }))
      : streamCalls(eventSourceArn, onFailure),
  );
}

function streamCalls(eventSourceArn: string, onFailure: string | undefined): RecordedCall[] {
  return [
    ...['DescribeStreamCommand', 'GetRecordsCommand', 'GetShardIteratorCommand', 'ListStreamsCommand'].map((command) => ({
      command,
      input: { StreamArn: eventSourceArn },
    })),
    ...(onFailure ? [{ command: 'SendMessageCommand', input: { QueueArn: onFailure } }] : []),
  ];
}

let template: ResolvedTemplate;
const functions: { entry: string; id: string }[] = [];

beforeAll(() => {
  const app = testApp();
  const { service: stack, orders } = buildApp(app);
  const templateOf = (of: Stack) => ({ name: of.stackName, ...Template.fromStack(of).toJSON() }) as StackTemplate;
  // The example API's stack registers its stage and lets the service's functions flush it.
  template = new ResolvedTemplate(templateOf(stack), orders ? [new ResolvedTemplate(templateOf(orders))] : []);
  const { service } = stack;
  functions.push({ entry: AUTHORIZER_ENTRY, id: logicalId(service.authorizerFunction) });
  functions.push({ entry: FLUSHER_ENTRY, id: logicalId(service.cacheFlush.flusherFunction) });
  functions.push({ entry: EXPIRY_WARNER_ENTRY, id: logicalId(service.expiryWarnings.warnerFunction) });
  functions.push({ entry: JWT_AUTHORIZER_ENTRY, id: logicalId(service.consoleAuthorizerFunction) });
  const [link] = Object.values(Template.fromStack(stack).findResources('Custom::UsagePlanStages'));
  functions.push({ entry: USAGE_PLAN_LINK_ENTRY, id: link.Properties.ServiceToken['Fn::GetAtt'][0] });
  usagePlanIds = template.resolve(link.Properties.UsagePlanIds) as string[];
  functions.push({ entry: USAGE_PLAN_RECONCILER_ENTRY, id: logicalId(service.usagePlans.reconcilerFunction) });
  registeredStages = template.parametersUnder(service.usagePlans.stagesPath).map(({ Value }) => {
    const { restApiId, stageName } = JSON.parse(Value) as { restApiId: string; stageName: string };
    return { apiId: restApiId, stage: stageName };
  });
  functions.push({ entry: AUDIT_SWEEPER_ENTRY, id: logicalId(service.auditTrail.sweeperFunction) });
  functions.push({ entry: AUDIT_DELIVERY_ENTRY, id: logicalId(service.auditTrail.deliveryFunction) });
  for (const [name, definition] of Object.entries(HANDLERS) as [HandlerName, (typeof HANDLERS)[HandlerName]][]) {
    functions.push({ entry: definition.entry, id: logicalId(service.handlers[name]) });
  }
}, SYNTH_TIMEOUT_MS);

/** Runs a function's scenario as deployed and returns every call it made. */
async function callsOf(entry: string, id: string): Promise<RecordedCall[]> {
  const harnesses: FunctionHarness[] = [];
  const environment = template.environmentOf(id);
  const registry = environment[ENV.flushTargetsPath] ?? environment[ENV.planStagesPath];
  const parameters = registry ? template.parametersUnder(registry) : [];
  const load: Load = (seed = [], reachable = {}, tenantSeed = []) => {
    const harness = loadFunction(entry, { ...environment, ...reachable }, { seed, tenantSeed, parameters });
    harnesses.push(harness);
    return harness;
  };
  await SCENARIOS[entry](load);
  return [...harnesses.flatMap((harness) => harness.calls()), ...callsByLambda(id)];
}

describe('IAM proof', () => {
  it('covers every function of the stack with a scenario', () => {
    expect(functions.map(({ entry }) => entry).sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  it.each([
    AUTHORIZER_ENTRY,
    JWT_AUTHORIZER_ENTRY,
    FLUSHER_ENTRY,
    EXPIRY_WARNER_ENTRY,
    USAGE_PLAN_LINK_ENTRY,
    USAGE_PLAN_RECONCILER_ENTRY,
    AUDIT_SWEEPER_ENTRY,
    AUDIT_DELIVERY_ENTRY,
    ...Object.values(HANDLERS).map((definition) => definition.entry),
  ])('%s: its role allows every call it makes, and holds no permission it never uses', async (entry) => {
    const { id } = functions.find((candidate) => candidate.entry === entry)!;
    const calls = await callsOf(entry, id);
    const policies = template.policiesOf(id);
    const principal = template.roleArnOf(id);
    const requests = calls.flatMap(iamRequestsFor);
    for (const request of requests) {
      const { allowed, detail } = await isAllowed(policies, principal, request);
      expect({ request, allowed, detail }).toEqual({ request, allowed: true, detail: 'Allowed' });
    }
    expect(grantedActions(policies)).toEqual([...new Set(requests.map((request) => request.action))].sort());
  });
});

describe('the proof itself', () => {
  it('catches a function that flushes without the grant, and a grant no code uses', async () => {
    const { id } = functions.find((candidate) => candidate.entry === HANDLERS.deleteKey.entry)!;
    const requests = (await callsOf(HANDLERS.deleteKey.entry, id)).flatMap(iamRequestsFor);
    const flush = requests.find((request) => request.action === 'apigateway:DELETE')!;
    const withoutFlush = template.policiesOf(id).map(({ name, policy }) => ({
      name,
      policy: {
        ...policy,
        Statement: (policy.Statement as { Action: unknown }[]).filter((statement) => statement.Action !== 'apigateway:DELETE'),
      },
    }));
    expect((await isAllowed(withoutFlush, template.roleArnOf(id), flush)).allowed).toBe(false);

    const { id: getKeyId } = functions.find((candidate) => candidate.entry === HANDLERS.getKey.entry)!;
    const granted = grantedActions([
      ...template.policiesOf(getKeyId),
      { policy: { Statement: [{ Effect: 'Allow', Action: 'apigateway:DELETE' }] } },
    ]);
    const used = (await callsOf(HANDLERS.getKey.entry, getKeyId)).flatMap(iamRequestsFor).map((request) => request.action);
    expect(granted).not.toEqual([...new Set(used)].sort());
  });
});
