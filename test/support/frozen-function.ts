/**
 * A Lambda that answers and is then frozen, as Lambda freezes an environment once
 * its handler has returned: `node --import tsx test/support/frozen-function.ts`
 * loads the deployed create-key handler with the environment local mode gives it
 * (its settings in this process's environment, as `npm start`'s are: a
 * DYNAMODB_ENDPOINT, the server's URL in LOCAL_SERVER), runs it on one admin
 * create, prints the answer, and stops itself with SIGSTOP: whatever it left to do
 * after answering never runs, until whoever started it kills it.
 */

import { localStage } from '../../local/apigateway/stage';
import { createUsagePlans } from '../../local/apigateway/usage-plans';
import { functionEnvironment, sdkEnvironment } from '../../local/boot/lambda-environment';
import { readLocalConfig } from '../../local/boot/local-config';
import { HANDLERS } from '../../src/routes';
import { adminEvent } from '../fixtures/events';

async function main(): Promise<void> {
  const server = process.env.LOCAL_SERVER;
  const tenantId = process.argv[2];
  if (!server || !tenantId) throw new Error('Usage: LOCAL_SERVER=… frozen-function.ts <tenant>');
  const config = readLocalConfig(process.env);
  if (!config.dynamoDbEndpoint) throw new Error('DYNAMODB_ENDPOINT must name the endpoint local mode uses');
  const usagePlans = createUsagePlans({ declaration: config.plans });
  Object.assign(
    process.env,
    sdkEnvironment(config, { dynamoDb: config.dynamoDbEndpoint, server }),
    functionEnvironment(HANDLERS.createKey, config, localStage(config.region), {
      server,
      console: { issuer: server, clientId: 'unused', assetsDirectory: 'unused' },
      usagePlans: usagePlans.environment,
    }),
  );
  const { handler } = (await import('../../lambdas/create-key')) as {
    handler: (event: unknown) => Promise<{ statusCode: number; body: string }>;
  };
  const answer = await handler(
    adminEvent({ method: 'POST', resource: '/tenants/{tenantId}/keys', pathParameters: { tenantId }, body: { name: 'frozen' } }),
  );
  process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.kill(process.pid, 'SIGSTOP'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
