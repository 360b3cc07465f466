/** Reads what the real SMTP dev inbox received, through maildev's REST API. */

export interface ReceivedMail {
  subject: string;
  to: string[];
  text: string;
  html: string;
  messageId: string;
}

interface MaildevMail {
  subject?: string;
  to?: { address: string }[];
  text?: string;
  html?: string;
  messageId?: string;
}

export async function readInbox(apiBaseUrl: string): Promise<ReceivedMail[]> {
  const response = await fetch(`${apiBaseUrl}/email`);
  if (!response.ok) throw new Error(`inbox answered ${response.status}`);
  const mails = (await response.json()) as MaildevMail[];
  return mails.map((m) => ({
    subject: m.subject ?? '',
    to: (m.to ?? []).map((t) => t.address),
    text: m.text ?? '',
    html: m.html ?? '',
    messageId: m.messageId ?? '',
  }));
}

/** The decision link tokens in a mail (`…/d/<token>`). */
export function linkTokens(mail: ReceivedMail): string[] {
  return [...mail.text.matchAll(/\/d\/([A-Za-z0-9._-]+)/g)].map((m) => m[1]!);
}
