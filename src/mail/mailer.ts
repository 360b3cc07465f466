/**
 * Sending mail over SMTP with nodemailer, once. Activities retry, so a send may run twice: every
 * mail carries a Message-ID fixed by what it is about, and before sending the mailer asks whether
 * that Message-ID already went out: first its own memory of what this process sent (a notify
 * attempt that failed on its third recipient is retried on the same worker, and the first two
 * must not be mailed again), then the sent-mail index when there is one (it also survives a
 * crash of the worker).
 */
import { createTransport } from 'nodemailer';
import { z } from 'zod';
import { oneLine } from '../evidence/text';

/** One mail, fully rendered. */
export interface OutgoingMail {
  /** One address, or several separated by commas; plain `local@domain` only, from our directory. */
  to: string;
  /** Same form as `to`; sent as the Cc header. */
  cc?: string;
  /** Same form as `to`; in the envelope only, never in a header. */
  bcc?: string;
  /** One plain address. */
  replyTo?: string;
  subject: string;
  text: string;
  /** Without it the mail is text only. */
  html?: string;
  /** `<id@domain>`: fixed per workflow, round, purpose and person, so a retry reuses it. */
  messageId: string;
}

/** Sends mail; `alreadySent` tells a retry that the first attempt got through. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<{ alreadySent: boolean }>;
  close(): Promise<void>;
}

/** Looks up mail already delivered, by Message-ID (with or without angle brackets). */
export interface SentMailIndex {
  hasMessage(messageId: string): Promise<boolean>;
}

export interface SmtpMailerOptions {
  /** e.g. `smtp://127.0.0.1:1025` or `smtps://user:pass@smtp.example.com`. */
  smtpUrl: string;
  /** Sender, e.g. `Gatehouse <gatehouse@example.com>`; from configuration, never from agents. */
  from: string;
  /** When given, a Message-ID found here is not sent again. */
  sentIndex?: SentMailIndex;
  /** How many Message-IDs this process remembers having sent (oldest forgotten first). */
  rememberSent?: number;
}

/** Enough for every notice of every run a worker handles in a day, at ~100 bytes each. */
const REMEMBER_SENT_DEFAULT = 50_000;

/**
 * Thrown when a mail is refused before sending: a recipient that is not a plain address, or a
 * malformed Message-ID. Retrying cannot help.
 */
export class MailAddressError extends Error {
  override readonly name = 'MailAddressError';
}

/**
 * Thrown when the SMTP server or the connection fails. `permanent` is true for a 5xx reply (the
 * server refused the mail for good); anything else may succeed on a retry.
 */
export class MailSendError extends Error {
  override readonly name = 'MailSendError';

  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
    /**
     * True when the mail certainly was not accepted: the server answered with an error, or no
     * session was established. False when the connection broke mid-send, so it may have been.
     */
    readonly notDelivered = false,
  ) {
    super(message, options);
  }
}

/**
 * zod's email check refuses quoted local parts, display names, comments and brackets: the forms
 * behind nodemailer's address-parser advisories (`"a@evil.com x"@corp.com`, GHSA-mm7p-fcc7-pg87).
 */
const PlainAddressSchema = z.email().max(254);
/** Printable ASCII without `<`, `>`, `@` or spaces on each side of the `@`: nothing that can break a header. */
const MESSAGE_ID_CORE = /^[\x21-\x3B\x3D\x3F\x41-\x7E]{1,200}@[\x21-\x3B\x3D\x3F\x41-\x7E]{1,200}$/;
const MAX_RECIPIENTS = 100;
/** nodemailer error codes raised before the server could have accepted a mail. */
const NO_SESSION_CODES = new Set(['ECONNECTION', 'EDNS', 'EAUTH', 'ETLS', 'EENVELOPE', 'ECONNREFUSED']);
/** nodemailer's `command` of an error raised before the message body went out. */
const BEFORE_MESSAGE_COMMANDS = /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL FROM|RCPT TO)/;

/**
 * Creates a mailer on nodemailer's SMTP transport. File and URL access are off for every message,
 * so no content can make nodemailer read a local file or fetch a URL (GHSA-p6gq-j5cr-w38f class).
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const transport = createTransport(options.smtpUrl, { disableFileAccess: true, disableUrlAccess: true });
  const sentHere = createRecentSet(options.rememberSent ?? REMEMBER_SENT_DEFAULT);
  return {
    async send(mail) {
      const to = parseRecipients(mail.to);
      const cc = mail.cc ? parseRecipients(mail.cc) : [];
      const bcc = mail.bcc ? parseRecipients(mail.bcc) : [];
      if (to.length + cc.length + bcc.length > MAX_RECIPIENTS)
        throw new MailAddressError(`too many recipients (at most ${MAX_RECIPIENTS})`);
      if (mail.replyTo !== undefined && !PlainAddressSchema.safeParse(mail.replyTo).success)
        throw new MailAddressError('reply-to is not a plain email address');
      const messageId = normalizeMessageId(mail.messageId);
      // Look first: a retried activity whose first attempt was delivered must not mail again.
      if (sentHere.has(messageId) || (options.sentIndex && (await options.sentIndex.hasMessage(messageId)))) {
        return { alreadySent: true };
      }
      try {
        await transport.sendMail({
          from: options.from,
          to,
          ...(cc.length > 0 ? { cc } : {}),
          ...(bcc.length > 0 ? { bcc } : {}),
          ...(mail.replyTo !== undefined ? { replyTo: mail.replyTo } : {}),
          // Render makes subjects one line already; a header is the wrong place to trust that.
          subject: oneLine(mail.subject, 900),
          text: mail.text,
          ...(mail.html !== undefined ? { html: mail.html } : {}),
          messageId,
        });
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode;
        const permanent = typeof code === 'number' && code >= 500 && code < 600;
        const failed = err as { code?: unknown; command?: unknown };
        const notDelivered =
          typeof code === 'number' || NO_SESSION_CODES.has(String(failed.code)) || BEFORE_MESSAGE_COMMANDS.test(String(failed.command));
        throw new MailSendError(`SMTP send failed${typeof code === 'number' ? ` (${code})` : ''}`, permanent, { cause: err }, notDelivered);
      }
      sentHere.add(messageId);
      return { alreadySent: false };
    },
    async close() {
      transport.close();
    },
  };
}

/** A set that keeps only its `limit` newest members (a Map iterates in insertion order). */
function createRecentSet(limit: number): { has(key: string): boolean; add(key: string): void } {
  const members = new Map<string, true>();
  return {
    has: (key) => members.has(key),
    add(key) {
      members.set(key, true);
      if (members.size > limit) members.delete(members.keys().next().value!);
    },
  };
}

function parseRecipients(to: string): string[] {
  const list = to.split(',').map((a) => a.trim());
  if (list.length > MAX_RECIPIENTS) {
    throw new MailAddressError(`too many recipients (${list.length}, at most ${MAX_RECIPIENTS})`);
  }
  list.forEach((address, index) => {
    if (!PlainAddressSchema.safeParse(address).success) {
      // The address may be agent-influenced: name the position, not the text.
      throw new MailAddressError(`recipient ${index + 1} is not a plain email address`);
    }
  });
  return list;
}

function normalizeMessageId(messageId: string): string {
  const trimmed = messageId.trim();
  const core = trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1) : trimmed;
  if (!MESSAGE_ID_CORE.test(core)) {
    throw new MailAddressError('Message-ID must look like <id@domain>');
  }
  return `<${core}>`;
}
