/** `npm run openapi [file]`: writes the API's OpenAPI document, openapi.json by default. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openApiDocument } from '../src/openapi/document';

const file = resolve(process.argv[2] ?? 'openapi.json');
writeFileSync(file, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log(`Wrote ${file}`);
