/**
 * Errors are values with a message for people. Only the CLI and the Action turn them into exit codes or failed
 * checks: ScenarioError → 2, UsageError → 2, InfraError → 3. A budget that is exceeded is a verdict, not an error.
 */

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** Dotted key path such as `budgets.kernel`, or '' for the whole document. */
    readonly keyPath: string,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${keyPath ? `${keyPath}: ` : ''}${detail}`);
  }
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The machinery failed: no hypervisor, a boot that never reached ready, KVM required but unusable, a failed download. */
export class InfraError extends Error {
  override readonly name = 'InfraError';
  constructor(
    message: string,
    /** Extra lines for people, such as how to enable KVM or the tail of a log. */
    readonly hint?: string,
    /** The scenario line the failure is about (a `kernel.apt` list naming no package the host has), for annotations. */
    readonly at?: { line: number; column: number },
  ) {
    super(message);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof InfraError && error.hint) return `${error.message}\n${error.hint}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
