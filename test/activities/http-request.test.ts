/** The http.request executor tells "absent" (404/410) from "cannot tell" (5xx) when it checks for an effect. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpRequestExecutor } from '../../activities/executors/http-request';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress } from '../../src/egress/guarded-fetch';
import { createLogger } from '../../src/observability/logger';

let server: Server;
let base: string;
let verifyStatus = 503;
let posts = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'POST') posts++;
    res.writeHead(req.method === 'POST' ? 201 : verifyStatus).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const params = () => ({ method: 'POST' as const, url: `${base}/effects/x`, verify: { url: `${base}/check/x`, expectStatus: 200 } });
const egress = createEgress({ allow: parseEgressAllowList('127.0.0.1') });
const ctx = (attempt: number) => ({ idempotencyKey: 'k', attempt, workflowId: 'w', logger: createLogger({ level: 'silent' }), egress });

describe('http.request executor', () => {
  it('does not resend when the check before a retry answers 503, and retries instead', async () => {
    verifyStatus = 503;
    posts = 0;
    await expect(createHttpRequestExecutor().commit(params(), ctx(2))).rejects.toThrow(/cannot tell/);
    expect(posts).toBe(0);
  });

  it('does not report a missing effect when verification answers 503', async () => {
    verifyStatus = 503;
    await expect(createHttpRequestExecutor().verify(params(), {}, ctx(1))).rejects.toThrow(/cannot tell/);
  });

  it('treats 404 as absent: resends on retry and reports a failed verification', async () => {
    verifyStatus = 404;
    posts = 0;
    await expect(createHttpRequestExecutor().commit(params(), ctx(2))).resolves.toMatchObject({ alreadyApplied: false });
    expect(posts).toBe(1);
    await expect(createHttpRequestExecutor().verify(params(), {}, ctx(1))).resolves.toEqual({ ok: false, observed: { verifyStatus: 404 } });
  });
});
