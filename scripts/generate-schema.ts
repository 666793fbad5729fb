/** Writes schema/scenario.schema.json from the zod schema. Run it after changing src/scenario/schema.ts. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema } from '../src/scenario/json-schema.js';

const target = new URL('../schema/scenario.schema.json', import.meta.url);
await writeFile(target, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log(`wrote ${fileURLToPath(target)}`);
