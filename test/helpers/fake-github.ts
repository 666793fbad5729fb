/**
 * A FAKE of the GitHub REST API, for the pull-request comment tests: it listens on 127.0.0.1 only, keeps issue
 * comments in memory, and records every request. It implements just the three calls the comment adapter makes
 * (list, create and update issue comments), with the response fields the adapter reads; `refuse` answers every
 * write with 403 as GitHub does for a token without `pull-requests: write`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  body: { body?: string } | null;
  authorization: string | undefined;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  comments: Array<{ id: number; body: string }>;
  refuse: boolean;
  close: () => Promise<void>;
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const fake: FakeGitHub = { url: '', requests: [], comments: [], refuse: false, close: async () => {} };
  let nextId = 1000;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const body = text ? (JSON.parse(text) as { body?: string }) : null;
      fake.requests.push({ method: req.method ?? '', path, body, authorization: req.headers.authorization });
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const html = (id: number) => `https://github.example/o/r/pull/7#issuecomment-${id}`;
      if (fake.refuse && req.method !== 'GET')
        return send(403, { message: 'Resource not accessible by integration', status: '403' });
      if (req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path))
        return send(
          200,
          fake.comments.map((c) => ({ id: c.id, body: c.body, html_url: html(c.id) })),
        );
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path)) {
        const comment = { id: nextId++, body: body?.body ?? '' };
        fake.comments.push(comment);
        return send(201, { ...comment, html_url: html(comment.id) });
      }
      const update = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path);
      if (req.method === 'PATCH' && update) {
        const comment = fake.comments.find((c) => c.id === Number(update[1]));
        if (!comment) return send(404, { message: 'Not Found' });
        comment.body = body?.body ?? '';
        return send(200, { ...comment, html_url: html(comment.id) });
      }
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
