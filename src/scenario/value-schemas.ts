/**
 * Scalar schemas that both schema.ts and artifact-schema.ts use. They live apart from both because schema.ts imports
 * artifact-schema.ts: taking them from schema.ts would make a cycle, and the first module evaluated would see the
 * other's constants uninitialised.
 */
import { z } from 'zod';
import { MEMORY_PATTERN, parseMemory } from './duration.js';

/** The parser's own complaint about a scalar, so the schema and the conversion in load.ts speak with one voice. */
export function problemOf(parse: (text: string) => unknown, input: unknown): string | undefined {
  // Missing keys, mappings and lists get the generic "expected …, got …" message instead.
  if (input === undefined || (typeof input === 'object' && input !== null)) return undefined;
  try {
    parse(input === null ? '' : String(input));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const memoryRe = new RegExp(MEMORY_PATTERN);

/**
 * A size with a unit (256M, 2G), accepted only when `parseMemory` accepts it: the pattern alone lets through 0.5M or
 * 99999G, which would then throw during conversion, past the point where errors still have a line. `bareNumber`
 * words a YAML number without a unit for keys whose message differs from `memory:`'s.
 */
export function sizeSchema(bareNumber?: (input: number) => string) {
  const problem = (input: unknown) =>
    bareNumber && typeof input === 'number' ? bareNumber(input) : problemOf(parseMemory, input);
  // Checks run even after an earlier check failed, so the refinement only looks at what the pattern let through;
  // otherwise one mistake would be reported twice.
  return z
    .string({ error: (issue) => problem(issue.input) })
    .regex(memoryRe, { error: (issue) => problem(issue.input) })
    .superRefine((text, ctx) => {
      const message = memoryRe.test(text) ? problemOf(parseMemory, text) : undefined;
      if (message) ctx.addIssue({ code: 'custom', message });
    });
}

export const memorySchema = sizeSchema();

// Debian policy: lower case letters, digits, `+`, `-` and `.`, at least two characters, starting alphanumerically.
const APT_PACKAGE_PATTERN = /^[a-z0-9][a-z0-9+.-]+$/;

export const aptPackageSchema = z
  .string()
  .regex(APT_PACKAGE_PATTERN, { error: (issue) => `"${String(issue.input)}" is not a Debian package name` });
