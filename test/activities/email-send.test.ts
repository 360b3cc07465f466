/**
 * The `email.send` executor against a real SMTP server (the dev inbox) and a real PostgreSQL
 * outbox. A "worker" is a fresh mailer and executor, so nothing survives a simulated crash but
 * what the outbox and the mailbox hold.
 */
import { Pool } from 'pg';
import {
  createFileOutbox,
  createPostgresOutbox,
  OUTBOX_TABLE,
  OutboxStatus,
  type EmailOutbox,
} from '../../activities/executors/email-outbox';
import { createEmailSendExecutor, messageIdForAction, type UncertainSendPolicy } from '../../activities/executors/email-send';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { EmailSendParamsSchema, type EmailSendParams } from '../../src/actions/schemas';
import { startDevInbox, type DevInbox } from '../../src/mail/dev-inbox';
import { createMaildevSentIndex } from '../../src/mail/maildev-sent-index';
import { createSmtpMailer, type Mailer } from '../../src/mail/mailer';
import { createLogger } from '../../src/observability/logger';
import { freePort } from '../../src/util/free-port';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress } from '../../src/egress/guarded-fetch';

/** The targets of these tests listen on loopback, which the egress guard refuses unless named. */
const LOOPBACK_EGRESS = createEgress({ allow: parseEgressAllowList('127.0.0.1') });

interface ReceivedMail {
  messageId: string;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, unknown>;
  to: Array<{ address: string }>;
  cc?: Array<{ address: string }>;
  replyTo?: Array<{ address: string }>;
  envelope: { to: Array<{ address: string }> };
}

let pg: TestPostgres;
let pool: Pool;
let inbox: DevInbox;
let outbox: EmailOutbox;
const mailers: Mailer[] = [];
const logger = createLogger({ level: 'silent' });
let counter = 0;
const unique = (prefix: string): string => `${prefix}-${++counter}-${Date.now()}`;
const ctx = (idempotencyKey: string, attempt = 1): ExecutionContext => ({
  idempotencyKey,
  attempt,
  workflowId: 'wf-email',
  logger,
  egress: LOOPBACK_EGRESS,
});
const params = (input: Partial<EmailSendParams> = {}): EmailSendParams =>
  EmailSendParamsSchema.parse({
    to: ['customer@example.org'],
    subject: 'Your refund',
    text: 'Hello,\nyour refund is on its way.',
    ...input,
  });

/** One worker process: its own mailer (and so its own memory of what it sent). */
function worker(options: { smtpUrl?: string; withIndex?: boolean; onUncertain?: UncertainSendPolicy; outbox?: EmailOutbox } = {}) {
  const mailer = createSmtpMailer({ smtpUrl: options.smtpUrl ?? inbox.smtpUrl, from: 'Support <support@shop.example>' });
  mailers.push(mailer);
  return {
    mailer,
    executor: createEmailSendExecutor({
      mailer,
      outbox: options.outbox ?? outbox,
      ...(options.withIndex ? { sentIndex: createMaildevSentIndex(inbox.apiBaseUrl) } : {}),
      ...(options.onUncertain ? { onUncertain: options.onUncertain } : {}),
    }),
  };
}

async function listWith(messageId: string): Promise<ReceivedMail[]> {
  const bare = messageId.replace(/^<|>$/g, '');
  const all = (await (await fetch(`${inbox.apiBaseUrl}/email`)).json()) as ReceivedMail[];
  return all.filter((m) => m.messageId === bare);
}
async function mailsWith(messageId: string, atLeast = 1): Promise<ReceivedMail[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = await listWith(messageId);
    if (found.length >= atLeast || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** Waits long enough for a mail that should not come to have arrived, then counts. */
async function settledCount(messageId: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  return (await listWith(messageId)).length;
}
async function outboxRow(key: string): Promise<Record<string, unknown> | undefined> {
  return (await pool.query(`SELECT status, attempts, message_id FROM ${OUTBOX_TABLE} WHERE idempotency_key = $1`, [key])).rows[0] as
    Record<string, unknown> | undefined;
}

beforeAll(async () => {
  pg = await startPostgres();
  pool = new Pool({ connectionString: pg.url, max: 4 });
  pool.on('error', () => undefined);
  outbox = createPostgresOutbox(pool);
  inbox = await startDevInbox({ smtpPort: await freePort(), webPort: await freePort() });
}, 30_000);
afterAll(async () => {
  await Promise.all(mailers.map((m) => m.close()));
  await inbox?.close();
  await pool?.end();
  await pg?.stop();
});

describe('one mail as approved', () => {
  it('sends To, Cc, Bcc, Reply-To, text and HTML exactly as approved, and verifies from outbox and mailbox', async () => {
    const key = unique('key');
    const p = params({
      cc: ['manager@example.org'],
      bcc: ['archive@shop.example'],
      replyTo: 'agent-desk@shop.example',
      html: '<p>Hello, your refund is on its way.</p>',
    });
    const { executor } = worker({ withIndex: true });
    const outcome = await executor.commit(p, ctx(key));
    expect(outcome).toMatchObject({ alreadyApplied: false, record: { messageId: messageIdForAction(key), outbox: 'sent', recipients: 3 } });
    const [mail, ...more] = await mailsWith(messageIdForAction(key));
    expect(more).toHaveLength(0);
    expect(mail!.to.map((a) => a.address)).toEqual(['customer@example.org']);
    expect(mail!.cc?.map((a) => a.address)).toEqual(['manager@example.org']);
    expect(mail!.headers['reply-to']).toBe('agent-desk@shop.example');
    expect(mail!.headers['bcc']).toBeUndefined();
    expect(mail!.envelope.to.map((a) => a.address).sort()).toEqual(['archive@shop.example', 'customer@example.org', 'manager@example.org']);
    expect(mail!.text.trim()).toBe('Hello,\nyour refund is on its way.');
    expect(mail!.html).toContain('<p>Hello, your refund is on its way.</p>');
    expect(await outboxRow(key)).toEqual({ status: 'sent', attempts: 1, message_id: messageIdForAction(key) });
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: true,
      observed: { messageId: messageIdForAction(key), outbox: 'sent', matchesApproved: true, foundInMailbox: true },
    });
  });

  it('sends a text-only mail without an HTML part', async () => {
    const key = unique('key');
    await worker().executor.commit(params(), ctx(key));
    const [mail] = await mailsWith(messageIdForAction(key));
    expect(mail!.html ?? '').toBe('');
    expect(String(mail!.headers['content-type'])).toMatch(/^text\/plain/);
  });

  it('fails verification for a key with no outbox entry, or params other than the ones sent', async () => {
    const { executor } = worker({ withIndex: true });
    await expect(executor.verify(params(), {}, ctx(unique('never')))).resolves.toMatchObject({
      ok: false,
      observed: { outbox: 'missing', foundInMailbox: false },
    });
    const key = unique('key');
    await executor.commit(params(), ctx(key));
    await expect(executor.verify(params({ subject: 'Another subject' }), {}, ctx(key))).resolves.toMatchObject({
      ok: false,
      observed: { matchesApproved: false },
    });
  });

  it('refuses a key reused for another mail, sending nothing', async () => {
    const key = unique('key');
    const { executor } = worker();
    await executor.commit(params(), ctx(key));
    await expect(executor.commit(params({ to: ['someone.else@example.org'] }), ctx(key))).rejects.toBeInstanceOf(CommitRejectedError);
    expect(await settledCount(messageIdForAction(key))).toBe(1);
  });
});

describe('exactly once across workers', () => {
  it('sends once when a second worker commits the same key', async () => {
    const key = unique('key');
    await worker().executor.commit(params(), ctx(key));
    const again = await worker().executor.commit(params(), ctx(key, 2));
    expect(again).toMatchObject({ alreadyApplied: true, record: { outbox: 'sent' } });
    expect(await settledCount(messageIdForAction(key))).toBe(1);
  });

  /** A worker that recorded the Message-ID, got the mail accepted, and died before marking it sent. */
  async function diedAfterSend(key: string, p: EmailSendParams): Promise<void> {
    const { mailer } = worker();
    const messageId = messageIdForAction(key);
    const claimed = await outbox.claim({ idempotencyKey: key, messageId, envelope: await dryEnvelope(p) });
    expect(claimed.claimed).toBe(true);
    await mailer.send({ to: p.to.join(', '), subject: p.subject, text: p.text, messageId });
    await mailsWith(messageId);
  }
  /** The envelope the executor records, taken from a commit against a throw-away file outbox. */
  async function dryEnvelope(p: EmailSendParams): Promise<Record<string, unknown>> {
    const file = createFileOutbox(join(mkdtempSync(join(tmpdir(), 'outbox-')), 'o.jsonl'));
    const key = unique('dry');
    await worker({ outbox: file }).executor.commit(p, ctx(key));
    return (await file.get(key))!.envelope;
  }

  it('after a crash between send and record, finds the mail in the mailbox and sends no second copy', async () => {
    const key = unique('key');
    const p = params();
    await diedAfterSend(key, p);
    const retry = await worker({ withIndex: true }).executor.commit(p, ctx(key, 2));
    expect(retry).toMatchObject({ alreadyApplied: true, record: { outbox: 'sent' } });
    expect(await settledCount(messageIdForAction(key))).toBe(1);
    expect(await outboxRow(key)).toMatchObject({ status: 'sent' });
  });

  it('without a mailbox to ask, sends nothing again and verify leaves the delivery unconfirmed (needs_attention)', async () => {
    const key = unique('key');
    const p = params();
    await diedAfterSend(key, p);
    const { executor } = worker();
    const retry = await executor.commit(p, ctx(key, 2));
    expect(retry).toMatchObject({ record: { outbox: 'sending', uncertain: true } });
    expect(await settledCount(messageIdForAction(key))).toBe(1);
    await expect(executor.verify(p, retry.record, ctx(key))).resolves.toMatchObject({
      ok: false,
      observed: { outbox: OutboxStatus.sending },
    });
  });

  it('with the resend policy, sends again under the same Message-ID', async () => {
    const key = unique('key');
    const p = params();
    await diedAfterSend(key, p);
    const retry = await worker({ onUncertain: 'resend' }).executor.commit(p, ctx(key, 2));
    expect(retry).toMatchObject({ alreadyApplied: false, record: { outbox: 'sent', attempts: 2 } });
    const copies = await mailsWith(messageIdForAction(key), 2);
    expect(copies.map((m) => m.messageId)).toEqual([messageIdForAction(key).slice(1, -1), messageIdForAction(key).slice(1, -1)]);
  });

  it('marks a send the server never took as failed, and the next attempt sends it once', async () => {
    const key = unique('key');
    const p = params();
    const down = worker({ smtpUrl: `smtp://127.0.0.1:${await freePort()}` });
    await expect(down.executor.commit(p, ctx(key))).rejects.toHaveProperty('name', 'MailSendError');
    expect(await outboxRow(key)).toMatchObject({ status: 'failed' });
    await expect(worker().executor.commit(p, ctx(key, 2))).resolves.toMatchObject({
      alreadyApplied: false,
      record: { outbox: 'sent', attempts: 2 },
    });
    expect(await settledCount(messageIdForAction(key))).toBe(1);
  });
});
