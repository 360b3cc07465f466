/**
 * Property-based requests against the real decision service: arbitrary methods, paths, bodies
 * and content types, including well-formed links with hostile forms. No input yields a 5xx, and
 * no input changes the run.
 */
import fc from 'fast-check';
import { createHarness, type Harness } from '../support/harness';
import { awaitingRun, getPage, signLink, startService, stateOf, type RunningService } from '../http/service';

let h: Harness;
let service: RunningService;
let workflowId: string;
let link: string;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  // No rate limit: the fuzzer is one client sending hundreds of requests on purpose.
  service = await startService(h, { rateLimit: false });
  workflowId = await awaitingRun(h, 'test.single');
  link = `${service.url}/d/${signLink(h, { wf: workflowId })}`;
}, 60_000);
afterAll(async () => {
  await service?.close();
  await h?.close();
});

const contentTypes = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded; charset=utf-16',
  '',
);

describe('decision service under arbitrary requests', () => {
  it('never answers 5xx to arbitrary methods, paths and bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
        fc.oneof(
          fc.webPath(),
          fc.string({ maxLength: 200 }).map((s) => `/d/${encodeURIComponent(s)}`),
          fc.string({ maxLength: 200 }).map((s) => `/api/decisions/${encodeURIComponent(s)}`),
        ),
        contentTypes,
        fc.oneof(fc.string({ maxLength: 2000 }), fc.json({ maxDepth: 3 })),
        async (method, path, contentType, body) => {
          const response = await fetch(`${service.url}${path.startsWith('/') ? path : `/${path}`}`, {
            method,
            headers: contentType ? { 'content-type': contentType } : {},
            ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
            redirect: 'manual',
          });
          await response.arrayBuffer();
          return response.status < 500;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never decides, and never answers 5xx, for hostile forms on a genuine link', async () => {
    const page = await getPage(link);
    expect(page.status).toBe(200);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kind: fc.oneof(
            fc.constantFrom('approve', 'reject', 'escalate', 'request_changes', 'approve_with_edits', 'delegate'),
            fc.string(),
          ),
          comment: fc.string({ maxLength: 300 }),
          paramsHash: fc.oneof(fc.string(), fc.constant(`sha256:${'0'.repeat(64)}`)),
          csrf: fc.oneof(fc.string(), fc.constant(page.csrf ?? '')),
          extra: fc.string({ maxLength: 50 }),
        }),
        fc.boolean(),
        contentTypes,
        async (fields, withCookie, contentType) => {
          const response = await fetch(link, {
            method: 'POST',
            redirect: 'manual',
            headers: {
              'sec-fetch-site': 'same-origin',
              ...(contentType ? { 'content-type': contentType } : {}),
              ...(withCookie && page.cookie ? { cookie: page.cookie } : {}),
            },
            body: new URLSearchParams(fields).toString(),
          });
          await response.arrayBuffer();
          return response.status < 500 && response.status !== 200;
        },
      ),
      { numRuns: 200 },
    );
    const state = await stateOf(h, workflowId);
    expect(state.status).toBe('awaiting_approval');
    expect(state.decisions).toEqual([]);
  });
});
