/** Where the local API pretends to be deployed: method ARNs, authorizer policies and cache flushes name it. */
export interface Stage {
  region: string;
  accountId: string;
  restApiId: string;
  name: string;
  /** Its stage variables, which API Gateway passes to the authorizer and the integrations. */
  variables?: Record<string, string>;
}

/** The service's own API, as local mode pretends it is deployed. */
export function localStage(region: string, variables?: Record<string, string>): Stage {
  return { region, accountId: '000000000000', restApiId: 'local', name: 'v1', ...(variables ? { variables } : {}) };
}

/** `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`, as API Gateway gives authorizers. */
export function methodArnFor(stage: Stage, method: string, rawPath: string): string {
  return `arn:aws:execute-api:${stage.region}:${stage.accountId}:${stage.restApiId}/${stage.name}/${method}${rawPath}`;
}
