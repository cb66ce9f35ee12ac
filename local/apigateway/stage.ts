/** Where the local API pretends to be deployed: method ARNs, authorizer policies and cache flushes name it. */
export interface Stage {
  region: string;
  accountId: string;
  restApiId: string;
  name: string;
}

export function localStage(region: string): Stage {
  return { region, accountId: '000000000000', restApiId: 'local', name: 'v1' };
}

/** `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`, as API Gateway gives authorizers. */
export function methodArnFor(stage: Stage, method: string, rawPath: string): string {
  return `arn:aws:execute-api:${stage.region}:${stage.accountId}:${stage.restApiId}/${stage.name}/${method}${rawPath}`;
}
