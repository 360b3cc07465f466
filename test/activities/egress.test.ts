/**
 * The egress guard against real HTTP servers on loopback. Refused destinations are refused before
 * any socket connects, so the non-loopback addresses below are never contacted.
 */
import { createServer, type Server } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress, EgressRefusedError, type Resolver } from '../../src/egress/guarded-fetch';

interface Local {
  server: Server;
  port: number;
  requests: Array<{ method: string; url: string; host: string }>;
  connections: number;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

async function startLocal(handler: (url: string) => Answer): Promise<Local> {
  const local: Local = { server: createServer(), port: 0, requests: [], connections: 0 };
  local.server.on('connection', () => local.connections++);
  local.server.on('request', (req, res) => {
    local.requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
    const answer = handler(req.url ?? '/');
    res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
  });
  await new Promise<void>((r) => local.server.listen(0, '127.0.0.1', r));
  local.port = (local.server.address() as AddressInfo).port;
  return local;
}

let target: Local;
let bystander: Local;
beforeAll(async () => {
  bystander = await startLocal(() => ({ status: 200, body: 'should never be reached' }));
  target = await startLocal((url): Answer => {
    if (url === '/to-metadata') return { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } };
    if (url === '/to-bystander') return { status: 307, headers: { location: `http://127.0.0.1:${bystander.port}/` } };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  });
});
afterAll(async () => {
  await new Promise((r) => target.server.close(r));
  await new Promise((r) => bystander.server.close(r));
});

/**
 * Counts sockets asked to connect while `run` runs. A literal address is refused before any
 * socket exists; a name gets a socket whose lookup refuses, so it never opens a connection.
 */
async function connectAttempts(run: () => Promise<unknown>): Promise<number> {
  const spy = jest.spyOn(Socket.prototype, 'connect');
  try {
    await run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

async function refusal(pending: Promise<unknown>): Promise<EgressRefusedError> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EgressRefusedError);
  return err as EgressRefusedError;
}

const resolverFor =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('egress guard', () => {
  it('sends to an allowed loopback target named by an address entry', async () => {
    const egress = createEgress({ allow: parseEgressAllowList(`127.0.0.1:${target.port}`) });
    const response = await egress.fetch(`http://127.0.0.1:${target.port}/effects/1`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it.each([
    ['loopback by address', () => `http://127.0.0.1:${target.port}/x`, /127\.0\.0\.1 \(loopback\)/],
    ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${target.port}/x`, /\[::ffff:7f00:1\] \(loopback\)/],
    ['loopback in hex', () => `http://0x7f000001:${target.port}/x`, /127\.0\.0\.1 \(loopback\)/],
    ['loopback in decimal', () => `http://2130706433:${target.port}/x`, /127\.0\.0\.1 \(loopback\)/],
    ['loopback in octal', () => `http://017700000001:${target.port}/x`, /127\.0\.0\.1 \(loopback\)/],
    ['IPv6 loopback', () => `http://[::1]:${target.port}/x`, /\[::1\] \(loopback\)/],
    ['a private address', () => 'http://10.0.0.1/x', /10\.0\.0\.1 \(private\)/],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 \(a cloud metadata address\)/],
    ['the IPv6 metadata address', () => 'http://[fd00:ec2::254]/', /\(a cloud metadata address\)/],
    ['a mapped metadata address', () => 'http://[::ffff:169.254.169.254]/', /\(a cloud metadata address\)/],
    ['carrier-grade NAT', () => 'http://100.64.0.1/', /\(carrier-grade NAT\)/],
    ['the unspecified address', () => `http://0.0.0.0:${target.port}/`, /\(unspecified\)/],
    ['the metadata name', () => 'http://metadata.google.internal/computeMetadata/v1/', /cloud metadata service/],
  ])('refuses %s before connecting, even with every public name allowed', async (_what, url, message) => {
    const egress = createEgress({ allow: parseEgressAllowList('*'), resolve: resolverFor({}) });
    let err: EgressRefusedError | undefined;
    const attempts = await connectAttempts(async () => {
      err = await refusal(egress.fetch(url(), { method: 'POST', body: '{}' }));
    });
    expect(err!.message).toMatch(message);
    expect(attempts).toBe(0);
  });

  it('refuses a destination that is on no entry, and sends nothing to it', async () => {
    const egress = createEgress({ allow: parseEgressAllowList('api.example.com:443') });
    const before = target.connections;
    const err = await refusal(egress.fetch(`http://127.0.0.1:${target.port}/x`));
    expect(err.message).toMatch(/not on the egress allow-list|loopback/);
    expect(target.connections).toBe(before);
  });

  it("refuses an allowed name that resolves to loopback, in the socket's lookup, before it connects", async () => {
    const resolved: string[] = [];
    const egress = createEgress({
      allow: parseEgressAllowList(`target.test:${target.port}`),
      resolve: async (hostname) => {
        resolved.push(hostname);
        return resolverFor({ 'target.test': ['127.0.0.1'] })(hostname);
      },
    });
    const before = target.connections;
    const err = await refusal(egress.fetch(`http://target.test:${target.port}/x`));
    expect(err.message).toMatch(/target\.test resolves to 127\.0\.0\.1 \(loopback\)/);
    // The check ran on the resolution the socket itself asked for, not on an earlier one.
    expect(resolved).toEqual(['target.test']);
    expect(target.connections).toBe(before);
  });

  it('refuses a name with a loopback address among public ones (a rebinding answer), contacting neither', async () => {
    const egress = createEgress({
      allow: parseEgressAllowList('*'),
      resolve: resolverFor({ 'rebind.test': ['93.184.216.34', '127.0.0.1'] }),
    });
    const before = target.connections;
    // The lookup fails as a whole, so the socket is destroyed before connecting to any address.
    const err = await refusal(egress.fetch(`http://rebind.test:${target.port}/x`));
    expect(err.message).toMatch(/rebind\.test resolves to 127\.0\.0\.1/);
    expect(target.connections).toBe(before);
  });

  it('refuses localhost through the system resolver', async () => {
    const egress = createEgress({ allow: parseEgressAllowList(`localhost:${target.port}`) });
    const before = target.connections;
    const err = await refusal(egress.fetch(`http://localhost:${target.port}/x`));
    expect(err.message).toMatch(/localhost resolves to (127\.0\.0\.1|\[::1\]) \(loopback\)/);
    expect(target.connections).toBe(before);
  });

  it('connects a name to the address it checked when a network entry allows it', async () => {
    const egress = createEgress({
      allow: parseEgressAllowList(`target.test:${target.port},127.0.0.1/32`),
      resolve: resolverFor({ 'target.test': ['127.0.0.1'] }),
    });
    const response = await egress.fetch(`http://target.test:${target.port}/by-name`);
    expect(response.status).toBe(200);
    expect(target.requests.at(-1)).toEqual({ method: 'GET', url: '/by-name', host: `target.test:${target.port}` });
  });

  it('does not follow a redirect to the metadata address', async () => {
    const egress = createEgress({ allow: parseEgressAllowList(`127.0.0.1:${target.port}`) });
    const err = await refusal(egress.fetch(`http://127.0.0.1:${target.port}/to-metadata`, { method: 'POST', body: '{}' }));
    expect(err.message).toMatch(/answered 302 redirecting to http:\/\/169\.254\.169\.254\/latest\/meta-data\/; redirects are not followed/);
  });

  it('does not follow a redirect to another loopback port that is not allowed', async () => {
    const egress = createEgress({ allow: parseEgressAllowList(`127.0.0.1:${target.port}`) });
    const err = await refusal(egress.fetch(`http://127.0.0.1:${target.port}/to-bystander`, { method: 'POST', body: '{}' }));
    expect(err.message).toMatch(/answered 307 .*redirects are not followed/);
    expect(bystander.requests).toEqual([]);
  });

  it('refuses URLs that are not http(s) or carry credentials', async () => {
    const egress = createEgress({ allow: parseEgressAllowList('*') });
    await expect(egress.fetch('file:///etc/passwd')).rejects.toThrow(EgressRefusedError);
    await expect(egress.fetch('http://user:pw@api.example.com/')).rejects.toThrow(/credentials/);
  });
});
