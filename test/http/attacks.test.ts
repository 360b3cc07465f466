/**
 * What a forged, foreign, stale, replayed or cross-site request gets: a 4xx with a clear message,
 * never the token echoed back, and no change to the run.
 */
import { generateLinkSecret, parseLinkKeyring } from '../../src/links/keyring';
import { newNonce } from '../../src/links/token';
import { createCsrfGuard } from '../../src/http/csrf';
import { createHarness, type Harness } from '../support/harness';
import { awaitingRun, getPage, postForm, postJson, signLink, startService, stateOf, type RunningService } from './service';

let h: Harness;
let service: RunningService;
/** One run awaiting approval that every attack below aims at; none may change it. */
let target: string;
let paramsHash: string;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  service = await startService(h);
  target = await awaitingRun(h, 'test.single');
  paramsHash = (await stateOf(h, target)).paramsHash;
});
afterAll(async () => {
  await service?.close();
  await h?.close();
});

interface Answer {
  status: number;
  body: string;
}

/** A refusal: the status, the code on the page or in the JSON, a message, and no token in it. */
function expectRefused(answer: Answer, status: number, code: string, token: string): void {
  expect({ status: answer.status, code }).toEqual({ status, code });
  expect(answer.body).toContain(code);
  expect(answer.body.length).toBeGreaterThan(100);
  expect(answer.body).not.toContain(token);
  // The token's MAC is its secret part; not even a fragment of it may come back.
  const mac = token.split('.')[3];
  if (mac) expect(answer.body).not.toContain(mac);
}

async function get(url: string): Promise<Answer> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}

/** GET the page, POST the form and POST the API with this token: all three refused the same way. */
async function expectAllRefused(token: string, status: number, code: string): Promise<void> {
  expectRefused(await get(`${service.url}/d/${token}`), status, code, token);
  expectRefused(await postForm(`${service.url}/d/${token}`, { kind: 'approve', paramsHash, csrf: 'x' }, undefined), status, code, token);
  expectRefused(await get(`${service.url}/api/decisions/${token}`), status, code, token);
  expectRefused(await postJson(`${service.url}/api/decisions/${token}`, { kind: 'approve', paramsHash }), status, code, token);
}

async function expectUntouched(workflowId: string): Promise<void> {
  const state = await stateOf(h, workflowId);
  expect(state.status).toBe('awaiting_approval');
  expect(state.decisions).toEqual([]);
}

/** Replaces one character of a base64url segment by another valid one. */
function flip(text: string, index: number): string {
  const c = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + c + text.slice(index + 1);
}

describe('forged and foreign links', () => {
  it('refuses a token whose signature was tampered with', async () => {
    const [v, kid, payload, mac] = signLink(h, { wf: target }).split('.') as [string, string, string, string];
    await expectAllRefused(`${v}.${kid}.${payload}.${flip(mac, 5)}`, 403, 'link_invalid');
    await expectUntouched(target);
  });

  it('refuses a token whose claims were altered under the old signature', async () => {
    const [v, kid, , mac] = signLink(h, { wf: target, sub: 'peter' }).split('.') as [string, string, string, string];
    const [, , otherPayload] = signLink(h, { wf: target, sub: 'alice' }).split('.') as [string, string, string];
    await expectAllRefused(`${v}.${kid}.${otherPayload}.${mac}`, 403, 'link_invalid');
    await expectUntouched(target);
  });

  it('refuses garbage in place of a token', async () => {
    await expectAllRefused('v1.k1.not-a-payload', 403, 'link_invalid');
    await expectUntouched(target);
  });

  it('answers 410 for an expired token', async () => {
    await expectAllRefused(signLink(h, { wf: target, exp: Math.floor(Date.now() / 1000) - 60 }), 410, 'link_expired');
    await expectUntouched(target);
  });

  it('refuses a token that is not valid yet', async () => {
    await expectAllRefused(signLink(h, { wf: target, nbf: Math.floor(Date.now() / 1000) + 3600 }), 403, 'link_not_yet_valid');
    await expectUntouched(target);
  });

  it('refuses a token signed with a key it does not know', async () => {
    const stranger = parseLinkKeyring(`k9:${generateLinkSecret()}`);
    await expectAllRefused(signLink(stranger, { wf: target }), 403, 'link_invalid');
    // Same key id as ours, different secret: a guessed or leaked-id key.
    const impostor = parseLinkKeyring(`${h.linkKeyring.signingKeyId}:${generateLinkSecret()}`);
    await expectAllRefused(signLink(impostor, { wf: target }), 403, 'link_invalid');
    await expectUntouched(target);
  });

  it('accepts links of a rotated key while it is listed, and refuses them once it is rotated out', async () => {
    const old = signLink(h, { wf: target });
    const secret = h.linkKeyring.keys.get(h.linkKeyring.signingKeyId)!.toString('base64url');
    const rotating = await startService(h, {
      linkKeyring: parseLinkKeyring(`k2:${generateLinkSecret()},${h.linkKeyring.signingKeyId}:${secret}`),
    });
    const rotated = await startService(h, { linkKeyring: parseLinkKeyring(`k2:${generateLinkSecret()}`) });
    try {
      expect((await get(`${rotating.url}/d/${old}`)).status).toBe(200);
      expectRefused(await get(`${rotated.url}/d/${old}`), 403, 'link_invalid', old);
      expectRefused(await postJson(`${rotated.url}/api/decisions/${old}`, { kind: 'approve', paramsHash }), 403, 'link_invalid', old);
    } finally {
      await rotating.close();
      await rotated.close();
    }
    await expectUntouched(target);
  });

  it('refuses a genuine token for a reviewer who is not eligible, on the page and in the workflow', async () => {
    const token = signLink(h, { wf: target, sub: 'dave', role: 'approver' });
    expectRefused(await get(`${service.url}/d/${token}`), 403, 'not_eligible', token);
    // The API POST skips the page's pre-check: this 403 is the workflow's own refusal.
    expectRefused(await postJson(`${service.url}/api/decisions/${token}`, { kind: 'approve', paramsHash }), 403, 'not_eligible', token);
    await expectUntouched(target);
  });

  it('refuses the proposer approving their own action, on the page, the form and the API', async () => {
    const nonce = newNonce();
    const token = signLink(h, { wf: target, sub: 'peter', role: 'approver', nonce });
    expectRefused(await get(`${service.url}/d/${token}`), 403, 'self_approval', token);
    // A valid CSRF pair, as if peter had a page: the workflow still refuses.
    const pair = createCsrfGuard(service.csrfSecret).issue(nonce);
    const form = await postForm(
      `${service.url}/d/${token}`,
      { kind: 'approve', paramsHash, csrf: pair.field },
      `gatehouse_csrf=${pair.cookie}`,
    );
    expectRefused(form, 403, 'self_approval', token);
    expectRefused(await postJson(`${service.url}/api/decisions/${token}`, { kind: 'approve', paramsHash }), 403, 'self_approval', token);
    await expectUntouched(target);
  });

  it('answers 409 for a token of another round', async () => {
    const token = signLink(h, { wf: target, round: 2 });
    expectRefused(await get(`${service.url}/d/${token}`), 409, 'stale_round', token);
    expectRefused(await postJson(`${service.url}/api/decisions/${token}`, { kind: 'approve', paramsHash }), 409, 'stale_round', token);
    await expectUntouched(target);
  });

  it('answers 404 for a token of a workflow that does not exist', async () => {
    const nonce = newNonce();
    const token = signLink(h, { wf: 'agent-7:p-no-such-run', nonce });
    expectRefused(await get(`${service.url}/d/${token}`), 404, 'run_not_found', token);
    expectRefused(await get(`${service.url}/api/decisions/${token}`), 404, 'run_not_found', token);
    expectRefused(await postJson(`${service.url}/api/decisions/${token}`, { kind: 'approve', paramsHash }), 404, 'run_not_found', token);
    const pair = createCsrfGuard(service.csrfSecret).issue(nonce);
    expectRefused(
      await postForm(`${service.url}/d/${token}`, { kind: 'approve', paramsHash, csrf: pair.field }, `gatehouse_csrf=${pair.cookie}`),
      404,
      'run_not_found',
      token,
    );
    await expectUntouched(target);
  });

  it('answers 409 for a decision on a params version other than the current one', async () => {
    const token = signLink(h, { wf: target });
    const otherHash = `sha256:${'0'.repeat(64)}`;
    expectRefused(
      await postJson(`${service.url}/api/decisions/${token}`, { kind: 'approve', paramsHash: otherHash }),
      409,
      'params_changed',
      token,
    );
    const page = await getPage(`${service.url}/d/${token}`);
    expectRefused(
      await postForm(`${service.url}/d/${token}`, { kind: 'approve', paramsHash: otherHash, csrf: page.csrf! }, page.cookie),
      409,
      'params_changed',
      token,
    );
    await expectUntouched(target);
  });
});

describe('replay', () => {
  it('never records a second decision for a replayed POST', async () => {
    const workflowId = await awaitingRun(h, 'test.quorum');
    const url = `${service.url}/d/${signLink(h, { wf: workflowId, sub: 'alice' })}`;
    const page = await getPage(url);
    const fields = { kind: 'approve', paramsHash: page.paramsHash!, csrf: page.csrf! };
    const first = await postForm(url, fields, page.cookie);
    expect(first.status).toBe(200);
    // Same link, same nonce, same update id: Temporal answers with the first outcome.
    const again = await postForm(url, { ...fields, comment: 'second click' }, page.cookie);
    expect([200, 409]).toContain(again.status);
    // Through the API too, with a fresh body.
    const api = await postJson(url.replace('/d/', '/api/decisions/'), {
      kind: 'reject',
      comment: 'changed my mind',
      paramsHash: page.paramsHash,
    });
    expect([200, 409]).toContain(api.status);
    const state = await stateOf(h, workflowId);
    expect(state.decisions).toEqual([expect.objectContaining({ reviewerId: 'alice', kind: 'approve' })]);
    expect(state.decisions[0]!.comment).toBeUndefined();
    expect(state.status).toBe('awaiting_approval');
  });

  it('answers 409 for a POST after the outcome is fixed and changes nothing', async () => {
    const workflowId = await awaitingRun(h, 'test.single');
    const alice = `${service.url}/api/decisions/${signLink(h, { wf: workflowId, sub: 'alice' })}`;
    const bobToken = signLink(h, { wf: workflowId, sub: 'bob' });
    const hash = (await stateOf(h, workflowId)).paramsHash;
    expect((await postJson(alice, { kind: 'approve', paramsHash: hash })).status).toBe(200);
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expectRefused(
      await postJson(`${service.url}/api/decisions/${bobToken}`, { kind: 'reject', comment: 'too late', paramsHash: hash }),
      409,
      'not_awaiting',
      bobToken,
    );
    const page = await getPage(`${service.url}/d/${bobToken}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('No decision possible');
    expect(page.html).not.toContain('<form');
    expect((await stateOf(h, workflowId)).decisions).toHaveLength(1);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });
});

describe('CSRF and request shape', () => {
  it('refuses a form POST without the CSRF cookie and field', async () => {
    const token = signLink(h, { wf: target });
    const url = `${service.url}/d/${token}`;
    const page = await getPage(url);
    expectRefused(await postForm(url, { kind: 'approve', paramsHash }, undefined), 403, 'csrf_failed', token);
    expectRefused(await postForm(url, { kind: 'approve', paramsHash, csrf: page.csrf! }, undefined), 403, 'csrf_failed', token);
    expectRefused(await postForm(url, { kind: 'approve', paramsHash }, page.cookie), 403, 'csrf_failed', token);
    expectRefused(await postForm(url, { kind: 'approve', paramsHash, csrf: flip(page.csrf!, 3) }, page.cookie), 403, 'csrf_failed', token);
    await expectUntouched(target);
  });

  it('refuses a CSRF pair taken from another link', async () => {
    const other = await getPage(`${service.url}/d/${signLink(h, { wf: target, sub: 'bob' })}`);
    const token = signLink(h, { wf: target, sub: 'alice' });
    expectRefused(
      await postForm(`${service.url}/d/${token}`, { kind: 'approve', paramsHash, csrf: other.csrf! }, other.cookie),
      403,
      'csrf_failed',
      token,
    );
    await expectUntouched(target);
  });

  it('refuses a form POST the browser marks as cross-site, even with a valid CSRF pair', async () => {
    const token = signLink(h, { wf: target });
    const url = `${service.url}/d/${token}`;
    const page = await getPage(url);
    const fields = { kind: 'approve', paramsHash, csrf: page.csrf! };
    expectRefused(await postForm(url, fields, page.cookie, { 'sec-fetch-site': 'cross-site' }), 403, 'csrf_failed', token);
    expectRefused(await postForm(url, fields, page.cookie, { 'sec-fetch-site': 'same-site' }), 403, 'csrf_failed', token);
    expectRefused(await postForm(url, fields, page.cookie, { origin: 'https://evil.example' }), 403, 'csrf_failed', token);
    await expectUntouched(target);
  });

  it('sets the CSRF cookie HttpOnly, SameSite=Strict and scoped to the link', async () => {
    const token = signLink(h, { wf: target });
    const response = await fetch(`${service.url}/d/${token}`);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('gatehouse_csrf='));
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toContain(`; Path=/d/${token}`);
  });

  it('answers 413 for an oversized body and changes nothing', async () => {
    const token = signLink(h, { wf: target });
    const url = `${service.url}/d/${token}`;
    const page = await getPage(url);
    // Past the form's 256 kB and the API's 128 kB, which leave room for a 64 kB edited version.
    const big = 'x'.repeat(300_000);
    expectRefused(
      await postForm(url, { kind: 'approve', paramsHash, csrf: page.csrf!, comment: big }, page.cookie),
      413,
      'too_large',
      token,
    );
    const api = await postJson(`${service.url}/api/decisions/${token}`, { kind: 'approve', paramsHash, comment: big });
    expectRefused(api, 413, 'too_large', token);
    // The answer names the limits, as the SDK and the CLI do.
    expect(api.body).toContain('at most 64 kB');
    await expectUntouched(target);
  });

  it('answers 400 for malformed JSON, a wrong content type or a bad decision', async () => {
    const token = signLink(h, { wf: target });
    const api = `${service.url}/api/decisions/${token}`;
    expectRefused(await postJson(api, '{"kind": "approve", '), 400, 'malformed_body', token);
    expectRefused(
      await postJson(api, JSON.stringify({ kind: 'approve', paramsHash }), { 'content-type': 'text/plain' }),
      400,
      'wrong_content_type',
      token,
    );
    expectRefused(
      await postJson(api, { kind: 'approve', paramsHash }, { 'content-type': 'application/x-www-form-urlencoded' }),
      400,
      'wrong_content_type',
      token,
    );
    expectRefused(await postJson(api, { kind: 'detonate', paramsHash }), 400, 'bad_form', token);
    expectRefused(await postJson(api, { kind: 'reject', paramsHash }), 400, 'bad_form', token);
    expectRefused(await postJson(api, { kind: 'approve', paramsHash, extra: 1 }), 400, 'bad_form', token);
    const page = `${service.url}/d/${token}`;
    expectRefused(await postForm(page, {}, undefined, { 'content-type': 'application/json' }), 400, 'wrong_content_type', token);
    await expectUntouched(target);
  });

  it('answers 429 once a client exceeds the rate limit', async () => {
    const limited = await startService(h, { rateLimit: { windowMs: 60_000, limit: 3 } });
    try {
      const token = signLink(h, { wf: target, exp: Math.floor(Date.now() / 1000) - 1 });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${limited.url}/d/${token}`)).status);
      expect(statuses).toEqual([410, 410, 410, 429, 429]);
      expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answers 404 for unknown paths and 405 for other methods, without echoing the path', async () => {
    const token = signLink(h, { wf: target });
    expectRefused(await get(`${service.url}/x/${token}`), 404, 'not_found', token);
    const put = await fetch(`${service.url}/d/${token}`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    await expectUntouched(target);
  });
});

describe('agent text on the page', () => {
  it('renders script and HTML injection in the summary and evidence inert, under a strict CSP', async () => {
    const workflowId = await awaitingRun(h, 'test.single', {
      summary: 'Refund <script>alert(1)</script> now',
      evidence: {
        rationale: '</pre><img src=x onerror=alert(2)><style>body{display:none}</style>',
        rollbackPlan: '"><svg onload=alert(3)> \u202Eevil\u202C',
        sources: [{ title: '<a href="javascript:alert(4)">click</a>', url: 'https://example.com/"onmouseover="alert(5)' }],
      },
    });
    const page = await getPage(`${service.url}/d/${signLink(h, { wf: workflowId })}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Refund &lt;script&gt;alert(1)&lt;/script&gt; now');
    expect(page.html).toContain('&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page.html).toContain('&quot;&gt;&lt;svg onload=alert(3)&gt;');
    expect(page.html).not.toMatch(/<script|<img|<svg|<a |<style>body/i);
    expect(page.html).not.toContain('\u202E');
    expect(page.html).toContain('Written by the agent — untrusted');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('script-src');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
