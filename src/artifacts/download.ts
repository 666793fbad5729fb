/**
 * Downloads into the store, keyed by the sha256 the scenario promises. The bytes are hashed as they arrive and the
 * entry is only created when they match, so a truncated or tampered download never reaches a boot.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../errors.js';
import { storeFor } from './cache/context.js';
import { formatBytes } from './tree/tree-writer.js';
import type { ArtifactContext } from './types.js';

/** The path of the downloaded file inside its store entry. */
export async function downloadVerified(url: string, sha256: string, ctx: ArtifactContext): Promise<string> {
  const expected = sha256.toLowerCase();
  const name = 'download';
  const entry = await storeFor(ctx).get('download', expected, `download of ${url}`, async (dir) => {
    ctx.log(`downloading ${url}`);
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'follow' });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new InfraError(`cannot download ${url}: ${cause ?? (error as Error).message}`);
    }
    if (!response.ok || !response.body)
      throw new InfraError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
    const total = Number(response.headers.get('content-length')) || undefined;
    const hash = createHash('sha256');
    const out = createWriteStream(join(dir, name));
    let received = 0;
    let lastReport = Date.now();
    const report = () => {
      const of = total ? ` of ${formatBytes(total)} (${Math.floor((received / total) * 100)}%)` : '';
      const line = `downloading ${url}: ${formatBytes(received)}${of}`;
      if (ctx.live) ctx.live(line);
      else ctx.log(line);
    };
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        received += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        if (Date.now() - lastReport > (ctx.live ? 250 : 10_000)) {
          lastReport = Date.now();
          report();
        }
      }
    } finally {
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      });
    }
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new InfraError(
        `sha256 mismatch for ${url}:\n  expected ${expected}\n  got      ${actual}`,
        'The file changed or the sha256 in the scenario is wrong. Nothing was cached.',
      );
    }
    ctx.log(`downloaded ${url} (${formatBytes(received)}, sha256 verified)`);
  });
  return join(entry.dir, name);
}
