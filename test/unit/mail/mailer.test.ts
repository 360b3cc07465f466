import { generateLinkSecret, parseLinkKeyring } from '../../../src/links/keyring';
import { newNonce, signLinkToken, verifyLinkToken } from '../../../src/links/token';
import { DevInboxError, startDevInbox, type DevInbox } from '../../../src/mail/dev-inbox';
import { createMaildevSentIndex } from '../../../src/mail/maildev-sent-index';
import { createSmtpMailer, MailAddressError, MailSendError, type Mailer, type OutgoingMail } from '../../../src/mail/mailer';
import { renderNotification } from '../../../src/mail/render';
import { freePort } from '../../../src/util/free-port';

interface MaildevMail {
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, unknown>;
  to: Array<{ address: string }>;
}

async function listMails(inbox: DevInbox): Promise<MaildevMail[]> {
  const response = await fetch(`${inbox.apiBaseUrl}/email`);
  expect(response.status).toBe(200);
  return (await response.json()) as MaildevMail[];
}

/** maildev stores a mail only after parsing it, a moment after SMTP accepted it. */
async function waitForMails(inbox: DevInbox, count: number): Promise<MaildevMail[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mails = await listMails(inbox);
    if (mails.length >= count || Date.now() > deadline) return mails;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mail = (messageId: string): OutgoingMail => ({
  to: 'alice@example.com',
  subject: '[Gatehouse] Approval needed: Refund order 123',
  text: 'Hello Alice,\nplease review.',
  html: '<p>Hello Alice,</p><p>please review.</p>',
  messageId,
});

describe('SMTP mailer with the dev inbox', () => {
  let inbox: DevInbox;
  let mailer: Mailer;

  beforeAll(async () => {
    inbox = await startDevInbox({ smtpPort: await freePort(), webPort: await freePort() });
    mailer = createSmtpMailer({
      smtpUrl: inbox.smtpUrl,
      from: 'Gatehouse <gatehouse@test.example>',
      sentIndex: createMaildevSentIndex(inbox.apiBaseUrl),
    });
  });

  afterAll(async () => {
    await mailer?.close();
    await inbox?.close();
  });

  it('delivers a mail with subject, text, html and the given Message-ID', async () => {
    const result = await mailer.send(mail('<wf-1.r1.review_requested.alice@gatehouse.test>'));
    expect(result).toEqual({ alreadySent: false });

    const [received, ...rest] = await waitForMails(inbox, 1);
    expect(rest).toHaveLength(0);
    expect(received!.subject).toBe('[Gatehouse] Approval needed: Refund order 123');
    expect(received!.text.trim()).toBe('Hello Alice,\nplease review.');
    expect(received!.html).toContain('<p>please review.</p>');
    expect(received!.to.map((t) => t.address)).toEqual(['alice@example.com']);
    expect(received!.messageId).toBe('wf-1.r1.review_requested.alice@gatehouse.test');
    expect(received!.headers['message-id']).toBe('<wf-1.r1.review_requested.alice@gatehouse.test>');
  });

  it('reports alreadySent for a repeated Message-ID and does not mail twice', async () => {
    const again = await mailer.send(mail('<wf-1.r1.review_requested.alice@gatehouse.test>'));
    expect(again).toEqual({ alreadySent: true });
    // The bare form names the same message.
    expect(await mailer.send(mail('wf-1.r1.review_requested.alice@gatehouse.test'))).toEqual({ alreadySent: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await listMails(inbox)).toHaveLength(1);
  });

  it('sends a mail with a new Message-ID', async () => {
    expect(await mailer.send(mail('<wf-1.r1.reminder.alice@gatehouse.test>'))).toEqual({ alreadySent: false });
    expect(await waitForMails(inbox, 2)).toHaveLength(2);
  });

  it('finds messages by Message-ID with or without angle brackets', async () => {
    const index = createMaildevSentIndex(`${inbox.apiBaseUrl}/`);
    expect(await index.hasMessage('<wf-1.r1.review_requested.alice@gatehouse.test>')).toBe(true);
    expect(await index.hasMessage('wf-1.r1.review_requested.alice@gatehouse.test')).toBe(true);
    expect(await index.hasMessage('<wf-1.r2.review_requested.alice@gatehouse.test>')).toBe(false);
  });

  it('refuses recipients that are not plain addresses, without sending', async () => {
    const before = (await listMails(inbox)).length;
    for (const to of ['"a@evil.com x"@corp.com', 'Alice <alice@example.com>', 'alice@example.com\r\nBcc: x@evil.com']) {
      await expect(mailer.send({ ...mail('<refused@gatehouse.test>'), to })).rejects.toBeInstanceOf(MailAddressError);
    }
    await expect(mailer.send(mail('no-at-sign'))).rejects.toBeInstanceOf(MailAddressError);
    expect(await listMails(inbox)).toHaveLength(before);
  });

  it('delivers a rendered notification whose link token still verifies after transfer encoding', async () => {
    const ring = parseLinkKeyring(`k1:${generateLinkSecret()}`);
    const claims = {
      wf: 'payment.refund:p-9',
      round: 1,
      sub: 'alice',
      role: 'finance',
      exp: Math.floor(Date.now() / 1000) + 3600,
      nonce: newNonce(),
    };
    const url = `https://gatehouse.example.com/d/${signLinkToken(claims, ring)}`;
    const rendered = renderNotification({
      purpose: 'review_requested',
      recipientName: 'Alice',
      proposal: {
        id: 'p-9',
        actionType: 'payment.refund',
        params: { amount: 120 },
        agent: { id: 'bot', name: 'Bot' },
        requestedBy: { id: 'bob' },
        summary: 'Refund order 9 — über <b>',
        evidence: { rationale: 'x'.repeat(1_500) },
      },
      paramsHash: `sha256:${'d'.repeat(64)}`,
      round: 1,
      decisionUrl: url,
    });
    const before = (await listMails(inbox)).length;
    await mailer.send({ to: 'alice@example.com', messageId: '<wf-9.r1.review_requested.alice@gatehouse.test>', ...rendered });
    const received = (await waitForMails(inbox, before + 1)).find((m) => m.messageId === 'wf-9.r1.review_requested.alice@gatehouse.test');

    expect(received?.subject).toBe('[Gatehouse] Approval needed: Refund order 9 — über <b>');
    for (const part of [received!.text, received!.html]) {
      const token = /\/d\/([A-Za-z0-9._-]+)/.exec(part)?.[1];
      expect(verifyLinkToken(token!, ring, Date.now())).toEqual(claims);
    }
  });

  it('refuses to start a second inbox in the same process', async () => {
    await expect(startDevInbox({ smtpPort: 0, webPort: 0 })).rejects.toBeInstanceOf(DevInboxError);
  });
});

describe('SMTP mailer without a sent-mail index (production SMTP)', () => {
  const bobMail = (messageId: string): OutgoingMail => ({ ...mail(messageId), to: 'bob@example.com' });

  it('does not mail again what this process sent when a notify is retried after SMTP failed midway', async () => {
    const smtpPort = await freePort();
    const webPort = await freePort();
    let inbox = await startDevInbox({ smtpPort, webPort });
    const mailer = createSmtpMailer({ smtpUrl: inbox.smtpUrl, from: 'Gatehouse <gatehouse@test.example>' });
    try {
      // Attempt 1: Alice's mail goes out, then the server goes away before Bob's.
      expect(await mailer.send(mail('<retry.r1.review_requested.alice@gatehouse.test>'))).toEqual({ alreadySent: false });
      await waitForMails(inbox, 1);
      await inbox.close();
      await expect(mailer.send(bobMail('<retry.r1.review_requested.bob@gatehouse.test>'))).rejects.toBeInstanceOf(MailSendError);

      // Attempt 2 walks the same recipients once the server is back.
      inbox = await startDevInbox({ smtpPort, webPort });
      expect(await mailer.send(mail('<retry.r1.review_requested.alice@gatehouse.test>'))).toEqual({ alreadySent: true });
      expect(await mailer.send(bobMail('<retry.r1.review_requested.bob@gatehouse.test>'))).toEqual({ alreadySent: false });
      await waitForMails(inbox, 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await listMails(inbox)).map((m) => m.messageId)).toEqual(['retry.r1.review_requested.bob@gatehouse.test']);
    } finally {
      await mailer.close();
      await inbox.close();
    }
  });

  it('forgets the oldest Message-IDs beyond its limit', async () => {
    const inbox = await startDevInbox({ smtpPort: await freePort(), webPort: await freePort() });
    const mailer = createSmtpMailer({ smtpUrl: inbox.smtpUrl, from: 'Gatehouse <gatehouse@test.example>', rememberSent: 1 });
    try {
      await mailer.send(mail('<limit.a@gatehouse.test>'));
      await mailer.send(mail('<limit.b@gatehouse.test>'));
      expect(await mailer.send(mail('<limit.b@gatehouse.test>'))).toEqual({ alreadySent: true });
      expect(await mailer.send(mail('<limit.a@gatehouse.test>'))).toEqual({ alreadySent: false });
      expect(await waitForMails(inbox, 3)).toHaveLength(3);
    } finally {
      await mailer.close();
      await inbox.close();
    }
  });
});
