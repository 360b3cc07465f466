/**
 * The round-robin proxy of the cluster stack, against real HTTP upstreams on loopback: turns,
 * a refused upstream skipped without the client noticing, an upstream dying mid-request answered
 * 502 so the client retries, and the client's address passed on.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRoundRobin, STATS_PATH, type RoundRobin } from '../../src/dev/round-robin';
import { freePort } from '../../src/util/free-port';

interface Upstream {
  server: Server;
  url: string;
  seen: { body: string; forwardedFor: string | undefined }[];
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function upstream(name: string, onRequest?: (req: IncomingMessage) => boolean): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ body, forwardedFor: req.headers['x-forwarded-for'] as string | undefined });
      if (onRequest && !onRequest(req)) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
    });
  });
  return { server, url: await listen(server), seen };
}

const opened: Server[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function proxyFor(upstreams: string[]): Promise<{ proxy: RoundRobin; url: string }> {
  const proxy = createRoundRobin({ upstreams });
  opened.push(proxy.server);
  return { proxy, url: await listen(proxy.server) };
}

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  return { status: res.status, text: await res.text() };
}

describe('round-robin proxy', () => {
  it('sends requests to each upstream in turn, with the body and the client address', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    opened.push(a.server, b.server);
    const { url } = await proxyFor([a.url, b.url]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await post(`${url}/api/x`, `n${i}`)).text);
    expect(answers).toEqual(['a', 'b', 'a', 'b']);
    expect(a.seen.map((s) => s.body)).toEqual(['n0', 'n2']);
    expect(a.seen[0]!.forwardedFor).toBe('127.0.0.1');
  });

  it('skips an upstream that refuses connections, without an error for the client', async () => {
    const a = await upstream('a');
    opened.push(a.server);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { url, proxy } = await proxyFor([dead, a.url]);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(url, 'x'));
    expect(answers).toEqual([0, 1, 2].map(() => ({ status: 200, text: 'a' })));
    expect(proxy.stats()[0]).toMatchObject({ refused: 1, forwarded: 0 });
  });

  it('answers 502 when an upstream dies mid-request, and a retry reaches the other one', async () => {
    const dying = await upstream('dying', () => false);
    const b = await upstream('b');
    opened.push(dying.server, b.server);
    const { url, proxy } = await proxyFor([dying.url, b.url]);
    const first = await post(url, 'decision');
    expect(first.status).toBe(502);
    expect(dying.seen.map((s) => s.body)).toEqual(['decision']);
    const retried = await post(url, 'decision');
    expect(retried).toEqual({ status: 200, text: 'b' });
    // Marked down after failing: the next request skips it too.
    expect((await post(url, 'again')).text).toBe('b');
    expect(proxy.stats()[0]).toMatchObject({ failedMidRequest: 1 });
  });

  it('answers its own counters at /_round-robin/stats without forwarding the request', async () => {
    const a = await upstream('a');
    opened.push(a.server);
    const { url } = await proxyFor([a.url]);
    await post(`${url}/api/x`, 'n0');
    const res = await fetch(`${url}${STATS_PATH}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ url: a.url, inFlight: 0, forwarded: 1, refused: 0, failedMidRequest: 0 }]);
    expect(a.seen).toHaveLength(1);
  });

  it('refuses options without an upstream or with a non-http URL', () => {
    expect(() => createRoundRobin({ upstreams: [] })).toThrow();
    expect(() => createRoundRobin({ upstreams: ['ftp://127.0.0.1:1'] })).toThrow();
  });
});
