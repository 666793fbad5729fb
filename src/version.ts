/** Kept equal to package.json's version by test/unit/version.test.ts; a constant so the bundle needs no file reads. */
export const VERSION = '0.1.0';
