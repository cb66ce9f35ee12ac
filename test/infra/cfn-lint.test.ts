/**
 * The templates are valid CloudFormation, by AWS's own linter: every template of
 * the app in bin/ and of the test apps that exercise the construct's options,
 * each app synthesized once and linted in one cfn-lint run. Every error or
 * warning fails, except those test/infra/cfn-lint-exceptions.json lists with
 * its reason; an entry there that no template needs fails too. Where
 * `cfn-lint --version` fails, the suite is skipped (and the run says so).
 */
import { type App, Duration } from 'aws-cdk-lib';
import { buildApp } from '../../bin/service-app';
import { type CfnLintException, type CfnLintFinding, exceptionFor, lintAssembly } from '../support/cfn-lint';
import { hasCfnLint } from '../support/prerequisites';
import { everyOptionApp, httpApiApp, manyApisApp, manyMethodsApp, protectedApisApp } from './apps';
import { exceptions } from './cfn-lint-exceptions.json';
import { SYNTH_TIMEOUT_MS, testApp } from './helpers';

const describeIfLinter = hasCfnLint() ? describe : describe.skip;

/** Each app's synth and its one cfn-lint run over many templates: minutes on a busy machine at most. */
const APP_TIMEOUT_MS = SYNTH_TIMEOUT_MS * 3;

const APPS: [string, () => App][] = [
  [
    'the app (bin/): the service and the example orders API',
    () => {
      const app = testApp();
      buildApp(app);
      return app;
    },
  ],
  ['the service with every option away from its default', everyOptionApp],
  ['a RestApi in another stack and one in the service stack', () => protectedApisApp().app],
  ['an HTTP API with a cached authorizer', () => httpApiApp(Duration.minutes(1)).app],
  ['300 methods on three RestApis and an HTTP API', () => manyMethodsApp().app],
  ['64 RestApis in eight stacks', () => manyApisApp().app],
];

const used = new Set<CfnLintException>();

/** A finding as a line to read in a failure: where, which rule, what it says. */
const described = (finding: CfnLintFinding) =>
  `${finding.Rule.Id} ${finding.Filename.split('/').pop()}:${finding.Location.Start.LineNumber} ${finding.Location.Path.join('/')}: ${finding.Message}`;

describeIfLinter('cfn-lint', () => {
  it.each(APPS)(
    '%s: every template passes, but for the reviewed exceptions',
    async (_name, build) => {
      const findings = await lintAssembly(build().synth());
      const unexcused: string[] = [];
      for (const finding of findings) {
        const exception = exceptionFor(finding, exceptions);
        if (exception) used.add(exception);
        else unexcused.push(described(finding));
      }
      expect(unexcused).toEqual([]);
    },
    APP_TIMEOUT_MS,
  );

  it('needs every exception the file lists', () => {
    expect(exceptions.filter((exception) => !used.has(exception))).toEqual([]);
  });

  it('fails on a finding the file does not list: a reference to another stack inside Fn::Split', () => {
    const finding: CfnLintFinding = {
      Filename: 'Orders.template.json',
      Level: 'Error',
      Message: "{'Fn::GetStackOutput': {...}} is not of type 'string'",
      Location: { Path: ['Resources', 'Authorizer', 'Properties', 'AuthorizerUri'], Start: { LineNumber: 1 } },
      Rule: { Id: 'E1022' },
      ResourceType: 'AWS::ApiGateway::Authorizer',
    };
    expect(exceptionFor(finding, exceptions)).toBeUndefined();
  });
});
