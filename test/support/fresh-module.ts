/** A deployed function's module, loaded afresh as a Lambda starts, with these settings in its environment. */
export function freshHandler<T>(entry: string, settings: Record<string, string>): T {
  const saved = { ...process.env };
  Object.assign(process.env, settings);
  try {
    let handler!: T;
    jest.isolateModules(() => {
      handler = (require(`../../lambdas/${entry}`) as { handler: T }).handler;
    });
    return handler;
  } finally {
    process.env = saved;
  }
}
