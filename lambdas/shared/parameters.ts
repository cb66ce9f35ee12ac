/** A Parameter Store parameter, as GetParametersByPath answers it. */
export interface Parameter {
  Name?: string;
  Value?: string;
}

/** One page of GetParametersByPath's answer. */
export interface ParameterPage {
  Parameters?: Parameter[];
  NextToken?: string;
}

/**
 * Every parameter under a path, however many pages, `page` reading the page
 * after a token: how stacks register their stages with the service, one
 * parameter each, written by the stack that owns the stage.
 */
export async function parametersUnder(page: (nextToken: string | undefined) => Promise<ParameterPage>): Promise<Parameter[]> {
  const parameters: Parameter[] = [];
  let nextToken: string | undefined;
  do {
    const answer = await page(nextToken);
    parameters.push(...(answer.Parameters ?? []));
    nextToken = answer.NextToken;
  } while (nextToken);
  return parameters;
}
