import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.js';

const SCHEMA_FILE = new URL('../../schema/scenario.schema.json', import.meta.url);
const STALE = 'schema/scenario.schema.json is stale: run `npm run schema` and commit the result';

describe('schema/scenario.schema.json', () => {
  it('matches the zod schema it is generated from', async () => {
    const text = await readFile(SCHEMA_FILE, 'utf8').catch(() => undefined);
    expect(text, `schema/scenario.schema.json is missing: run \`npm run schema\``).toBeDefined();
    // Through JSON, so that what is compared is exactly what the generator writes.
    expect(JSON.parse(text!), STALE).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
    expect(text, `${STALE} (formatting differs)`).toBe(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });
});
