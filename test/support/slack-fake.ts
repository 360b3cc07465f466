/**
 * A local Slack-compatible Web API for tests (and a page to look at): answers `chat.postMessage`,
 * `chat.update` and `views.open` as Slack does (`{ ok: true, … }`) and records every call with
 * its arguments decoded (`blocks` and `view` parsed from their JSON strings).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  /** The bearer token the call carried. */
  token: string | undefined;
  args: Record<string, unknown>;
}

export interface SlackFake {
  /** Base URL for `slackApiUrl`, ending in `/api/`. */
  apiUrl: string;
  calls: SlackCall[];
  /** Calls of one method. */
  of(method: string): SlackCall[];
  /** Holds each `chat.postMessage` answer this long (a slow Slack), 0 by default. */
  postDelayMs: number;
  close(): Promise<void>;
}

const JSON_ARGS = new Set(['blocks', 'view', 'attachments', 'metadata']);

export async function startSlackFake(): Promise<SlackFake> {
  const calls: SlackCall[] = [];
  let ts = 1_700_000_000;
  const fake: SlackFake = {
    apiUrl: '',
    calls,
    postDelayMs: 0,
    of: (method) => calls.filter((c) => c.method === method),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      const args: Record<string, unknown> = {};
      if ((req.headers['content-type'] ?? '').includes('application/json')) Object.assign(args, JSON.parse(body || '{}'));
      else
        for (const [k, v] of new URLSearchParams(body)) {
          args[k] = JSON_ARGS.has(k) ? JSON.parse(v) : v;
        }
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      calls.push({ method, token, args });
      res.setHeader('content-type', 'application/json');
      switch (method) {
        case 'chat.postMessage': {
          // Posting to a user id answers with the app's DM channel with them, as Slack does.
          const channel = typeof args['channel'] === 'string' ? args['channel'].replace(/^U/, 'D') : '';
          const answer = JSON.stringify({ ok: true, channel, ts: `${ts++}.000100`, message: { text: args['text'] } });
          setTimeout(() => res.end(answer), fake.postDelayMs);
          return;
        }
        case 'conversations.open': {
          // The app's DM channel with a user: the same D-for-U id chat.postMessage answers with.
          const users = typeof args['users'] === 'string' ? args['users'] : '';
          res.end(JSON.stringify({ ok: true, channel: { id: users.replace(/^U/, 'D') } }));
          return;
        }
        case 'chat.update':
          res.end(JSON.stringify({ ok: true, channel: args['channel'], ts: args['ts'] }));
          return;
        case 'views.open':
          res.end(JSON.stringify({ ok: true, view: { id: 'V1' } }));
          return;
        default:
          res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.apiUrl = `http://127.0.0.1:${port}/api/`;
  return fake;
}
