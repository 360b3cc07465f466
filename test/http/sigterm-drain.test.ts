/**
 * SIGTERM drains the decision service process: /readyz turns 503 at once while it still serves,
 * a decision POST in flight gets its answer, the process exits 0, and the decision is applied once.
 *
 * Needs `npm run build` (the test spawns `node dist/src/http/main.js`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createHarness, eventually, type Harness } from '../support/harness';
import { awaitingRun, getPage, postForm, signLink, stateOf } from './service';

const HTTP_MAIN = resolve(__dirname, '../../dist/src/http/main.js');

let h: Harness;
let child: ChildProcess | undefined;

beforeAll(async () => {
  if (!existsSync(HTTP_MAIN)) throw new Error(`${HTTP_MAIN} is missing: run \`npm run build\` first`);
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await h?.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('decision service SIGTERM', () => {
  it('answers /readyz 503 first, finishes the decision POST in flight, exits 0; the decision applies once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const linkKeys = [...h.linkKeyring.keys].map(([kid, secret]) => `${kid}:${secret.toString('base64url')}`).join(',');
    child = spawn(process.execPath, [HTTP_MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
        GATEHOUSE_LINK_KEYS: linkKeys,
        GATEHOUSE_DECISION_SIGNING_KEY: h.signingKeySpec,
        GATEHOUSE_HTTP_PORT: String(port),
        GATEHOUSE_PUBLIC_URL: url,
        // Long enough to see a decision POST in flight while no worker answers it.
        GATEHOUSE_DECISION_TIMEOUT_MS: '3000',
        GATEHOUSE_HTTP_DRAIN_DELAY_MS: '1500',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exitCode = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    await eventually(
      async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
      20_000,
      `decision service ready (${stderr})`,
    );

    const workflowId = await awaitingRun(h, 'test.single');
    const link = `${url}/d/${signLink(h, { wf: workflowId, sub: 'carol' })}`;
    const page = await getPage(link);
    expect(page.status).toBe(200);

    // Without a worker the POST waits the decision timeout, so it is surely in flight at SIGTERM.
    await h.stopWorker();
    const posted = postForm(
      link,
      { kind: 'approve', comment: 'during shutdown', paramsHash: page.paramsHash!, csrf: page.csrf! },
      page.cookie,
    );
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    await eventually(async () => ((await fetch(`${url}/readyz`)).status === 503 ? true : undefined), 1_000, '/readyz 503');
    // Still serving during the drain delay: a probe of liveness is answered.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const answer = await posted;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('is recorded');
    expect(await exitCode).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    await h.startWorker();
    const final = await eventually(
      async () => {
        const state = await stateOf(h, workflowId);
        return state.status === 'succeeded' ? state : undefined;
      },
      40_000,
      'the decision to be applied',
    );
    expect(final.decisions).toEqual([expect.objectContaining({ reviewerId: 'carol', kind: 'approve', comment: 'during shutdown' })]);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  }, 120_000);
});
