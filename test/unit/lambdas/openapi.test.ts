import { handler } from '../../../lambdas/openapi';
import { openApiDocument } from '../../../src/openapi/document';
import { proxyEvent, STAGE } from '../../fixtures/events';
import { expectJson } from '../../fixtures/responses';

describe('GET /openapi.json', () => {
  it('200 with the document, whose server is the stage it was fetched from', async () => {
    const event = proxyEvent({ method: 'GET', resource: '/openapi.json' });
    expect(event.requestContext.path).toBe(`/${STAGE}/openapi.json`);
    expect(expectJson(await handler(event), 200)).toEqual({ ...openApiDocument(), servers: [{ url: `/${STAGE}` }] });
  });
});
