/**
 * JSON with `<`, `>`, `&` and the two JavaScript line separators escaped: the same value for every JSON reader, and
 * inert inside an HTML page (no text in it can close a `<script>` element or start a tag).
 */
export function inertJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
