import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlKernel } from '../../src/artifacts/kernel/url.js';

// The download path against a real HTTP server on 127.0.0.1, started here.
const BODY = Buffer.alloc(300 * 1024, 7);
const SHA = createHash('sha256').update(BODY).digest('hex');
let server: Server;
let base: string;
let requests = 0;
const dirs: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/bzImage') {
      res.writeHead(200, { 'content-length': String(BODY.length) });
      res.end(BODY);
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function ctx() {
  const cacheDir = mkdtempSync(join(tmpdir(), 'boot-budget-dl-'));
  dirs.push(cacheDir);
  const logs: string[] = [];
  return { cacheDir, logs, log: (m: string) => logs.push(m) };
}

describe('kernel: {url, sha256}', () => {
  it('downloads with progress, verifies, caches, and does not download again', async () => {
    const c = ctx();
    const before = requests;
    const first = await urlKernel.resolve({ kind: 'url', url: `${base}/bzImage`, sha256: SHA }, c);
    expect(readFileSync(first.path).equals(BODY)).toBe(true);
    expect(c.logs.some((l) => /downloaded .* \(300\.0 KiB, sha256 verified\)/.test(l))).toBe(true);
    const second = await urlKernel.resolve({ kind: 'url', url: `${base}/bzImage`, sha256: SHA }, c);
    expect(second.path).toBe(first.path);
    expect(requests - before).toBe(1);
  });

  it('a sha256 mismatch is an error showing both hashes, and nothing is cached', async () => {
    const c = ctx();
    const wrong = '0'.repeat(64);
    await expect(urlKernel.resolve({ kind: 'url', url: `${base}/bzImage`, sha256: wrong }, c)).rejects.toThrow(
      new RegExp(`sha256 mismatch for ${base}/bzImage:\\n  expected ${wrong}\\n  got      ${SHA}`),
    );
    await expect(urlKernel.resolve({ kind: 'url', url: `${base}/bzImage`, sha256: wrong }, c)).rejects.toThrow(
      /mismatch/,
    );
  });

  it('an HTTP error names the URL and status', async () => {
    await expect(urlKernel.resolve({ kind: 'url', url: `${base}/missing`, sha256: SHA }, ctx())).rejects.toThrow(
      /cannot download .*\/missing: HTTP 404/,
    );
  });
});
