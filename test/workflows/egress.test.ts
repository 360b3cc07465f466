/**
 * The egress allow-list on the real server: a worker whose configuration allows no loopback
 * address ends a run aimed at one as failed, after one attempt and without touching the target.
 * Only loopback servers are ever contacted; the other addresses are refused before any connect.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApprovalState } from '../../src/domain/state';
import { createHarness, type Harness } from '../support/harness';
import { commitTries } from '../support/commit-tries';

let h: Harness;
let redirector: Server;
let redirectorUrl: string;
const redirectorHits: string[] = [];

beforeAll(async () => {
  // The configuration names only target.test, which resolves to loopback: a name is not enough.
  h = await createHarness({
    egressAllow: 'target.test',
    egressResolve: async (hostname) => (hostname === 'target.test' ? [{ address: '127.0.0.1', family: 4 }] : []),
  });
  await h.startWorker();
  redirector = createServer((req, res) => {
    redirectorHits.push(`${req.method} ${req.url}`);
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await h?.close();
  await new Promise((r) => redirector?.close(r));
});

/** Runs `params` as an auto-approved action of `actionType` and returns its final state. */
async function run(actionType: string, params: (id: string) => Record<string, unknown>): Promise<ApprovalState> {
  const base = h.proposal(actionType);
  const started = await h.gatehouse.propose({ ...base, params: params(base.id) });
  return started.result();
}

/** How often the commit was tried: once, as the auto-approved run's local step, means the refusal was not retried. */
const tries = (workflowId: string) => commitTries(h.client.workflow.getHandle(workflowId));
const ONCE_IN_TASK = { local: 1, activity: 0 };

const toTarget = (id: string) => ({
  method: 'POST',
  url: `${h.target.url}/effects/${id}`,
  body: { amount: 42 },
  verify: { url: `${h.target.url}/check/${id}` },
});

describe('egress allow-list', () => {
  it('fails a commit to a loopback address the configuration does not allow, once, with nothing sent', async () => {
    const postsBefore = h.target.posts.length;
    const final = await run('test.auto', toTarget);
    expect(final.status).toBe('failed');
    expect(final.execution?.error).toMatch(
      /^egress refused: 127\.0\.0\.1 \(loopback\), which only an explicit address or network entry allows$/,
    );
    expect(h.target.posts.length).toBe(postsBefore);
    expect(await tries(final.workflowId)).toEqual(ONCE_IN_TASK);
  });

  it.each([
    ['a private address', 'http://10.0.0.1/refunds', /10\.0\.0\.1 \(private\)/],
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 \(a cloud metadata address\)/],
    ['an IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]:80/x', /\[::ffff:7f00:1\] \(loopback\)/],
    ['loopback spelled in hex', 'http://0x7f000001/x', /127\.0\.0\.1 \(loopback\)/],
  ])('fails a commit to %s', async (_what, url, message) => {
    const final = await run('test.auto', () => ({ method: 'POST', url, verify: { url } }));
    expect(final.status).toBe('failed');
    expect(final.execution?.error).toMatch(message);
    expect(await tries(final.workflowId)).toEqual(ONCE_IN_TASK);
  });

  it('fails a commit to an allowed name that resolves to loopback, with nothing sent', async () => {
    const postsBefore = h.target.posts.length;
    const port = new URL(h.target.url).port;
    const final = await run('test.auto', (id) => ({
      method: 'POST',
      url: `http://target.test:${port}/effects/${id}`,
      verify: { url: `http://target.test:${port}/check/${id}` },
    }));
    expect(final.status).toBe('failed');
    expect(final.execution?.error).toMatch(/target\.test resolves to 127\.0\.0\.1 \(loopback\)/);
    expect(h.target.posts.length).toBe(postsBefore);
  });

  it('executes where the policy adds the destination', async () => {
    const final = await run('test.egress', toTarget);
    expect(final.status).toBe('succeeded');
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  it('fails a commit whose allowed target redirects elsewhere, without following it', async () => {
    const final = await run('test.egress', (id) => ({
      method: 'POST',
      url: `${redirectorUrl}/refunds/${id}`,
      verify: { url: `${redirectorUrl}/check/${id}` },
    }));
    expect(final.status).toBe('failed');
    expect(final.execution?.error).toMatch(
      /answered 302 redirecting to http:\/\/169\.254\.169\.254\/latest\/meta-data\/iam\/; redirects are not followed/,
    );
    // The first request (the check before the POST, or the POST) meets the redirect, and stops there.
    expect(redirectorHits).toHaveLength(1);
    expect(await tries(final.workflowId)).toEqual(ONCE_IN_TASK);
  });
});
