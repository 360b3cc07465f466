/**
 * A local Slack-compatible Web API for tests and the dev stack: answers `chat.postMessage`,
 * `chat.update` and `views.open` as Slack does (`{ ok: true, … }`), takes the ephemeral answers
 * posted to an interaction's `response_url` (under `/actions/`), and records every call with its
 * arguments decoded (`blocks` and `view` parsed from their JSON strings). `GET /` is a page of the
 * cards it holds, each shown as its latest `chat.update` left it, so a newcomer sees cards without
 * a Slack workspace.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  /** The bearer token the call carried. */
  token: string | undefined;
  args: Record<string, unknown>;
}

/** A message as the fake holds it: posted once, replaced by each `chat.update`. */
export interface FakeCard {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  updates: number;
}

export interface SlackFake {
  /** Base URL for `slackApiUrl`, ending in `/api/`. */
  apiUrl: string;
  /** A `response_url` this fake answers, as Slack puts one in each interaction. */
  responseUrl(id: string): string;
  /** The cards page. */
  pageUrl: string;
  calls: SlackCall[];
  /** Calls of one method; ephemeral answers to a `response_url` are method `response_url`. */
  of(method: string): SlackCall[];
  cards(): FakeCard[];
  /** Holds each `chat.postMessage` answer this long (a slow Slack), 0 by default. */
  postDelayMs: number;
  close(): Promise<void>;
}

const JSON_ARGS = new Set(['blocks', 'view', 'attachments', 'metadata']);

function argsOf(req: IncomingMessage, body: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  try {
    if ((req.headers['content-type'] ?? '').includes('application/json')) Object.assign(args, JSON.parse(body || '{}'));
    else for (const [k, v] of new URLSearchParams(body)) args[k] = JSON_ARGS.has(k) ? JSON.parse(v) : v;
  } catch {
    args['unparsed'] = body;
  }
  return args;
}

export async function startSlackFake(options: { port?: number; host?: string } = {}): Promise<SlackFake> {
  const calls: SlackCall[] = [];
  const cards = new Map<string, FakeCard>();
  let ts = 1_700_000_000;
  // Filled in once the server listens; the request handler reads postDelayMs from it.
  const fake = { postDelayMs: 0 } as SlackFake;

  const api = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    const blocks = Array.isArray(args['blocks']) ? (args['blocks'] as unknown[]) : [];
    const text = typeof args['text'] === 'string' ? args['text'] : '';
    switch (method) {
      case 'chat.postMessage': {
        // Posting to a user id answers with the app's DM channel with them, as Slack does.
        const channel = typeof args['channel'] === 'string' ? args['channel'].replace(/^U/, 'D') : '';
        const card: FakeCard = { channel, ts: `${ts++}.000100`, text, blocks, updates: 0 };
        cards.set(`${card.channel} ${card.ts}`, card);
        return { ok: true, channel, ts: card.ts, message: { text } };
      }
      case 'chat.update': {
        const key = `${String(args['channel'])} ${String(args['ts'])}`;
        const card = cards.get(key);
        if (card) cards.set(key, { ...card, text, blocks, updates: card.updates + 1 });
        return { ok: true, channel: args['channel'], ts: args['ts'] };
      }
      case 'conversations.open': {
        // The app's DM channel with a user: the same D-for-U id chat.postMessage answers with.
        const users = typeof args['users'] === 'string' ? args['users'] : '';
        return { ok: true, channel: { id: users.replace(/^U/, 'D') } };
      }
      case 'views.open':
        return { ok: true, view: { id: 'V1' } };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'GET') {
        page(res, path, [...cards.values()], calls);
        return;
      }
      const args = argsOf(req, Buffer.concat(chunks).toString('utf8'));
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      if (path.startsWith('/actions/')) {
        // Slack answers a response_url post with a plain `ok`.
        calls.push({ method: 'response_url', token, args: { ...args, url: path } });
        res.setHeader('content-type', 'text/plain');
        res.end('ok');
        return;
      }
      const method = path.replace(/^\/api\//, '');
      calls.push({ method, token, args });
      res.setHeader('content-type', 'application/json');
      const answer = JSON.stringify(api(method, args));
      if (method === 'chat.postMessage' && fake.postDelayMs > 0) setTimeout(() => res.end(answer), fake.postDelayMs);
      else res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://${options.host ?? '127.0.0.1'}:${port}`;
  Object.assign(fake, {
    apiUrl: `${base}/api/`,
    responseUrl: (id: string) => `${base}/actions/T0GATEHOUSE/${encodeURIComponent(id)}`,
    pageUrl: `${base}/`,
    calls,
    of: (method: string) => calls.filter((c) => c.method === method),
    cards: () => [...cards.values()],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies Omit<SlackFake, 'postDelayMs'>);
  return fake;
}

function page(res: ServerResponse, path: string, cards: FakeCard[], calls: SlackCall[]): void {
  if (path === '/cards.json') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(cards));
    return;
  }
  if (path !== '/') {
    res.statusCode = 404;
    res.end('not found');
    return;
  }
  const ephemeral = calls.filter((c) => c.method === 'response_url').map((c) => (typeof c.args['text'] === 'string' ? c.args['text'] : ''));
  res.setHeader('content-type', 'text/html; charset=utf-8');
  // Only this page's own inline style; the card text is agent-written, so everything is escaped.
  res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">
<title>Gatehouse dev Slack: ${cards.length} cards</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;background:#f8f8f8}.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem;margin:0 0 1rem;max-width:42rem}
.meta{color:#777;font-size:12px}.fields{display:grid;grid-template-columns:1fr 1fr;gap:.25rem}.btn{display:inline-block;border:1px solid #aaa;border-radius:4px;padding:.2rem .6rem;margin-right:.4rem}
.primary{background:#007a5a;color:#fff}.danger{background:#e01e5a;color:#fff}pre{white-space:pre-wrap;margin:.3rem 0}</style></head>
<body><h1>Slack cards (dev fake)</h1>
<p class="meta">Buttons are shown, not clickable: Slack signs clicks, this page cannot. Decide through the evidence link.</p>
${cards.length === 0 ? '<p>No cards yet: submit a proposal whose policy has <code>channels: [email, slack]</code>.</p>' : ''}
${cards
  .slice()
  .reverse()
  .map(
    (c) => `<section class="card" data-channel="${esc(c.channel)}" data-ts="${esc(c.ts)}">
<div class="meta">to ${esc(c.channel)} · ts ${esc(c.ts)} · ${c.updates === 0 ? 'as posted' : `updated ${c.updates}×`}</div>
${c.blocks.map(renderBlock).join('\n')}</section>`,
  )
  .join('\n')}
${ephemeral.length > 0 ? `<h2>Ephemeral answers</h2>${ephemeral.map((t) => `<pre>${esc(t)}</pre>`).join('')}` : ''}
</body></html>`);
}

interface Text {
  text?: unknown;
}
interface Element extends Text {
  type?: unknown;
  style?: unknown;
  url?: unknown;
}
interface Block {
  type?: unknown;
  text?: Text;
  fields?: Text[];
  elements?: Element[];
}

function renderBlock(raw: unknown): string {
  const block = (raw ?? {}) as Block;
  const text = (t: Text | undefined) => esc(typeof t?.text === 'string' ? t.text : '');
  switch (block.type) {
    case 'header':
      return `<h3>${text(block.text)}</h3>`;
    case 'section':
      return block.fields
        ? `<div class="fields">${block.fields.map((f) => `<div>${text(f)}</div>`).join('')}</div>`
        : `<pre>${text(block.text)}</pre>`;
    case 'actions':
      return `<div class="actions">${(block.elements ?? [])
        .map((e) => {
          const style = typeof e.style === 'string' ? ` ${esc(e.style)}` : '';
          const label = text(e.text as Text | undefined);
          return typeof e.url === 'string' && /^https?:\/\//.test(e.url)
            ? `<a class="btn" href="${esc(e.url)}">${label}</a>`
            : `<span class="btn${style}">${label}</span>`;
        })
        .join('')}</div>`;
    default:
      return '';
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
