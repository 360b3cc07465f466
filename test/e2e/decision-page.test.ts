/**
 * The decision page in a real browser (Debian's Chromium driven by playwright-core): a reviewer
 * opens the mailed link, reads the evidence, writes a comment, clicks Approve and sees the result;
 * the run then commits. Screenshots are kept in test-artifacts/ for people to look at.
 */
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createHarness, type Harness } from '../support/harness';
import { awaitingRun, signLink, startService, stateOf, tokenFromInbox, type RunningService } from '../http/service';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');

let h: Harness;
let service: RunningService;
let browser: Browser;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  service = await startService(h);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await service?.close();
  await h?.close();
});

describe('decision page in Chromium', () => {
  it('lets a reviewer read the evidence, approve with a comment and see the result', async () => {
    const stamp = String(Date.now());
    const workflowId = await awaitingRun(h, 'test.single', {
      summary: `Refund $42.00 to customer 4711 for a double charge (${stamp})`,
      evidence: {
        rationale: 'The customer was charged twice for order 9912 on the same day; the second charge has no matching shipment.',
        sources: [{ title: 'Payment provider: charges for customer 4711', url: 'https://payments.example/charges?customer=4711' }],
        confidence: 0.92,
        rollbackPlan: 'Re-charge the amount through the provider if the refund proves wrong.',
      },
    });
    const token = await tokenFromInbox(h, 'alice@test.example', stamp);
    const state = await stateOf(h, workflowId);

    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    const response = await page.goto(`${service.url}/d/${token}`);
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toContain('Refund $42.00 to customer 4711');
    expect(await page.getByText(state.paramsHash).count()).toBe(1);
    expect(await page.getByText('Written by the agent — untrusted', { exact: false }).count()).toBeGreaterThan(0);
    expect(await page.locator('text=Alice Approver').count()).toBeGreaterThan(0);
    // The stylesheet is allowed by its CSP hash: the approve button really is styled.
    // A string, not a function: the test's tsconfig has no DOM types.
    const approveColour = await page.evaluate('getComputedStyle(document.querySelector("button.approve")).backgroundColor');
    expect(approveColour).toBe('rgb(15, 123, 63)');
    await page.screenshot({ path: resolve(ARTIFACTS, 'decision-page.png'), fullPage: true });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(`${service.url}/d/${token}`);
    await phonePage.screenshot({ path: resolve(ARTIFACTS, 'decision-page-mobile.png'), fullPage: true });
    await phone.close();

    await page.fill('#approve-comment', 'Checked against the provider: double charge confirmed.');
    await Promise.all([page.waitForURL(`${service.url}/d/${token}`), page.click('button.approve')]);
    expect(await page.locator('h1').innerText()).toContain('your approval is recorded');
    await page.screenshot({ path: resolve(ARTIFACTS, 'decision-result.png'), fullPage: true });
    await context.close();

    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions).toEqual([
      expect.objectContaining({ reviewerId: 'alice', kind: 'approve', comment: 'Checked against the provider: double charge confirmed.' }),
    ]);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  it('lets a reviewer approve an edited version, and shows the next reviewer what changed', async () => {
    const card = '4111111111111111';
    const proposal = h.proposal('test.edits');
    const params = { ...proposal.params, body: { amount: 420, card, note: 'refund for order 9912' } };
    const workflowId = await awaitingRun(h, 'test.edits', {
      id: proposal.id,
      params,
      summary: 'Refund $420.00 to customer 4711 for a damaged delivery',
      evidence: { rationale: 'The courier confirmed the damage; the customer asked for a refund.', confidence: 0.8 },
    });

    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${service.url}/d/${signLink(h, { wf: workflowId, sub: 'alice' })}`);
    const shown = JSON.parse(await page.inputValue('#edit-params')) as { body: Record<string, unknown> };
    expect(shown.body).toEqual({ amount: 420, note: 'refund for order 9912' });
    expect(await page.getByText('params.body.card').count()).toBe(1);
    const delegateOptions = await page.locator('#delegate-to option').allInnerTexts();
    expect(delegateOptions).toEqual(['Choose a reviewer…', 'Bob Approver (bob)', 'Carol Finance (carol)']);
    await page.screenshot({ path: resolve(ARTIFACTS, 'decision-page-edit-form.png'), fullPage: true });

    await page.fill('#edit-params', JSON.stringify({ ...shown, body: { ...shown.body, amount: 4200 } }, null, 2));
    await page.fill('#edit-comment', 'The order was 4200, not 420.');
    await Promise.all([page.waitForLoadState('load'), page.click('button.edits')]);
    expect(await page.locator('h1').innerText()).toContain('your approval of the edited version is recorded');
    expect(await page.locator('.result-ok p').first().innerText()).toContain('The edited version needs further approval: 1 × manager');
    await page.screenshot({ path: resolve(ARTIFACTS, 'decision-result-edited.png'), fullPage: true });

    await page.goto(`${service.url}/d/${signLink(h, { wf: workflowId, sub: 'dave', role: 'manager', round: 2 })}`);
    const diff = page.locator('table.diff tbody tr');
    expect(await diff.count()).toBe(1);
    expect(await diff.first().innerText()).toMatch(/body\.amount\s+420\s+4200/);
    expect(await page.content()).not.toContain(card);
    await page.screenshot({ path: resolve(ARTIFACTS, 'decision-page-edits-diff.png'), fullPage: true });

    await Promise.all([page.waitForLoadState('load'), page.click('button.approve')]);
    expect(await page.locator('h1').innerText()).toContain('your approval is recorded');
    await context.close();
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 4200, card, note: 'refund for order 9912' });
  });
});
