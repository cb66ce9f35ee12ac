/** Local mode gives each function exactly the settings the construct's grants give it in AWS. */
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/service-app';
import { localStage } from '../../local/apigateway/stage';
import { functionEnvironment } from '../../local/boot/lambda-environment';
import { readLocalConfig } from '../../local/boot/local-config';
import { HANDLERS, type HandlerName } from '../../src/routes';
import { logicalId, SYNTH_TIMEOUT_MS, testApp } from './helpers';

/** Runtime settings every function gets alike, which local mode leaves to Node. */
const RUNTIME_SETTINGS = ['POWERTOOLS_LOG_LEVEL', 'NODE_OPTIONS'];

let environmentNames: (id: string) => string[];
let stack: ReturnType<typeof buildApp>['service'];

beforeAll(() => {
  stack = buildApp(testApp()).service;
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  environmentNames = (id) =>
    Object.keys(resources[id].Properties.Environment.Variables)
      .filter((name) => !RUNTIME_SETTINGS.includes(name))
      .sort();
}, SYNTH_TIMEOUT_MS);

describe('local mode and the deployed stack', () => {
  const config = readLocalConfig({});
  const stage = localStage('us-east-1');
  const LOCAL = {
    server: 'http://127.0.0.1:3000',
    console: { issuer: 'http://127.0.0.1:3001', clientId: 'api-key-console', assetsDirectory: '/tmp/console' },
    usagePlans: { default: 'free', ids: { free: 'local-free', pro: 'local-pro' } },
  };

  it.each(Object.keys(HANDLERS) as HandlerName[])('give %s the same settings', (name) => {
    expect(Object.keys(functionEnvironment(HANDLERS[name], config, stage, LOCAL)).sort()).toEqual(
      environmentNames(logicalId(stack.service.handlers[name])),
    );
  });

  it('give the authorizer the same settings', () => {
    expect(Object.keys(functionEnvironment('authorizer', config, stage, LOCAL)).sort()).toEqual(
      environmentNames(logicalId(stack.service.authorizerFunction)),
    );
  });

  it('give the flusher the same settings', () => {
    expect(Object.keys(functionEnvironment('flusher', config, stage, LOCAL)).sort()).toEqual(
      environmentNames(logicalId(stack.service.cacheFlush.flusherFunction)),
    );
  });

  it('give the audit sweeper the same settings', () => {
    expect(Object.keys(functionEnvironment('auditSweeper', config, stage, LOCAL)).sort()).toEqual(
      environmentNames(logicalId(stack.service.auditTrail.sweeperFunction)),
    );
  });

  it('give the console users’ JWT authorizer the same settings', () => {
    expect(Object.keys(functionEnvironment('jwtAuthorizer', config, stage, LOCAL)).sort()).toEqual(
      environmentNames(logicalId(stack.service.consoleAuthorizerFunction)),
    );
  });
});
