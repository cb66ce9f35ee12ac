import { GetParametersByPathCommand, type Parameter, type SSMClient } from '@aws-sdk/client-ssm';

/**
 * Every parameter under `path`, however many pages: how stacks register their
 * stages with the service, one parameter each, written by the stack that owns the stage.
 */
export async function parametersUnder(ssm: SSMClient, path: string): Promise<Parameter[]> {
  const parameters: Parameter[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: true, NextToken: nextToken }));
    parameters.push(...(page.Parameters ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return parameters;
}
