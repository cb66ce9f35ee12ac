/**
 * The OpenAPI document: exactly the route table's routes, each with the
 * authorization the route table gives it, and a document @redocly/cli's strict
 * rules pass, linted offline. And the check that holds every e2e response to it
 * catches what it must.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openApiDocument } from '../../src/openapi/document';
import { PROBLEM_CONTENT_TYPE } from '../../src/problem';
import { ROUTES } from '../../src/routes';
import { API_KEY_RESOURCE } from '../fixtures/keys';
import { expectDocumented } from '../support/openapi-validation';
import { makeTempDir } from '../support/temp-dir';

const REPOSITORY = resolve(__dirname, '../..');
const document = openApiDocument();
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
);

describe('the OpenAPI document', () => {
  it('has every route of the route table, and nothing else', () => {
    const documented = operations.map(({ method, path }) => `${method} ${path}`).sort();
    expect(documented).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('asks each route for the authorization the route table gives it', () => {
    const schemes = { iam: [{ sigv4: [] }], apiKey: [{ apiKey: [] }], jwt: [{ consoleUser: [] }], none: [] };
    for (const route of ROUTES) {
      const { operation } = operations.find(({ method, path }) => method === route.method && path === route.path)!;
      expect({ route: `${route.method} ${route.path}`, security: operation.security }).toEqual({
        route: `${route.method} ${route.path}`,
        security: schemes[route.authorization],
      });
    }
    expect(document.components.securitySchemes.sigv4).toMatchObject({ 'x-amazon-apigateway-authtype': 'awsSigv4' });
    expect(document.components.securitySchemes.consoleUser).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes request bodies and query parameters with the validation schemas', () => {
    const create = document.paths['/tenants/{tenantId}/keys'].post!;
    expect(create.requestBody?.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateKeyRequest' });
    expect(document.components.schemas.CreateKeyRequest).toMatchObject({
      required: ['name'],
      additionalProperties: false,
      properties: { name: { maxLength: 100 }, scopes: { maxItems: 20 } },
    });
    const limit = document.paths['/tenants/{tenantId}/keys'].get!.parameters!.find((parameter) => parameter.name === 'limit');
    expect(limit).toEqual({
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    });
  });

  it("describes the routes that end leaked keys: POST /revoke's one answer, GitHub's payload, size and feedback", () => {
    const revoke = document.paths['/revoke'].post!;
    expect(Object.keys(revoke.responses)).toContain('202');
    expect(revoke.responses['202']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/RevocationAccepted' } } },
    });
    expect(document.components.schemas.RevokeKeyBySecretRequest).toMatchObject({
      required: ['key'],
      additionalProperties: false,
    });
    const github = document.paths['/secret-scanning/github'].post!;
    expect(github.parameters?.map(({ name, in: where, required }) => ({ name, where, required }))).toEqual([
      { name: 'Github-Public-Key-Identifier', where: 'header', required: true },
      { name: 'Github-Public-Key-Signature', where: 'header', required: true },
    ]);
    expect(github.responses['413']).toMatchObject({ description: 'The body is over 1 MiB.' });
    expect(github.responses['401']).toMatchObject({ description: expect.stringContaining('signature') });
    expect(document.components.schemas.SecretScanningFeedback).toMatchObject({
      type: 'array',
      items: { required: ['token_hash', 'token_type', 'label'], additionalProperties: false },
    });
    // Every other route with a body keeps §3's 10 KiB.
    expect(document.paths['/tenants/{tenantId}/keys/{keyId}/revoke'].post!.responses['413']).toEqual({
      $ref: '#/components/responses/ContentTooLarge',
    });
  });

  it('passes redocly lint (recommended-strict), offline', async () => {
    const workspace = await makeTempDir('openapi-lint');
    try {
      const file = join(workspace.path, 'openapi.json');
      await writeFile(file, JSON.stringify(document));
      const redocly = join(REPOSITORY, 'node_modules/@redocly/cli/bin/cli.js');
      // recommended-strict makes every finding an error, and any error a non-zero exit, which rejects.
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [redocly, 'lint', file, '--config', join(REPOSITORY, 'redocly.yaml')],
        { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
      );
      expect(`${stdout}${stderr}`).toContain('Your API description is valid');
    } finally {
      await workspace.remove();
    }
  }, 60_000);
});

describe('the e2e suites’ response check', () => {
  const apiKey = API_KEY_RESOURCE;
  const KEY_ID = apiKey.id;

  const received = (status: number, headers: Record<string, string>, body?: unknown) => ({
    status,
    header: (name: string) => headers[name.toLowerCase()],
    text: body === undefined ? '' : JSON.stringify(body),
  });
  const json = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  const url = `http://127.0.0.1:3000/tenants/acme/keys/${KEY_ID}`;

  it('accepts what the document describes', () => {
    expect(() => expectDocumented('GET', url, received(200, json, apiKey))).not.toThrow();
    expect(() => expectDocumented('DELETE', url, received(204, { 'cache-control': 'no-store' }))).not.toThrow();
    expect(() =>
      expectDocumented(
        'GET',
        'http://127.0.0.1:3000/nowhere',
        received(
          403,
          { ...json, 'content-type': PROBLEM_CONTENT_TYPE },
          { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'd' },
        ),
      ),
    ).not.toThrow();
  });

  it('refuses an undocumented status, a missing required header, a wrong media type and a body off the schema', () => {
    expect(() => expectDocumented('GET', url, received(418, json, apiKey))).toThrow(/names no 418/);
    expect(() => expectDocumented('GET', url, received(200, { 'content-type': 'application/json' }, apiKey))).toThrow(
      /Cache-Control is missing/,
    );
    expect(() => expectDocumented('GET', url, received(200, { ...json, 'content-type': 'text/plain' }, apiKey))).toThrow(
      /Content-Type/,
    );
    expect(() => expectDocumented('GET', url, received(200, json, { ...apiKey, keyHash: 'ab' }))).toThrow(
      /additional properties/,
    );
    expect(() => expectDocumented('GET', url, received(200, json, { ...apiKey, createdAt: 'yesterday' }))).toThrow(/createdAt/);
    expect(() =>
      expectDocumented('POST', 'http://127.0.0.1:3000/tenants/acme/keys', received(201, json, { ...apiKey, key: 'ak_x' })),
    ).toThrow(/Location is missing/);
  });
});
