/**
 * The JSON Schema that editors use to check and complete scenario files (via a `# yaml-language-server: $schema=…`
 * comment). It is generated from the zod schema and checked in under `schema/`; a test fails when it is stale.
 */
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

// Relative on purpose: the project has no canonical URL yet, and scenario files refer to the schema by path.
export const SCENARIO_SCHEMA_ID = 'scenario.schema.json';

export function scenarioJsonSchema(): Record<string, unknown> {
  // The input side is what people write: keys with defaults are optional, and defaults show up as `default`.
  const generated = z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: SCENARIO_SCHEMA_ID, title: 'boot-budget scenario', ...rest };
}
