import { existsSync } from 'node:fs';
import fsPromises = require('node:fs/promises');
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevInbox, DevInboxError } from '../../../src/mail/dev-inbox';
import { createMaildevSentIndex, SentIndexError } from '../../../src/mail/maildev-sent-index';
import { createSmtpMailer } from '../../../src/mail/mailer';
import { freePort } from '../../../src/util/free-port';

const mail = { to: 'bob@example.com', subject: 'hi', text: 'hi', html: '<p>hi</p>', messageId: '<m1@gatehouse.test>' };

async function mailCount(apiBaseUrl: string): Promise<number> {
  const response = await fetch(`${apiBaseUrl}/email`);
  return ((await response.json()) as unknown[]).length;
}

/** maildev stores a mail only after parsing it, a moment after SMTP accepted it. */
async function waitForCount(apiBaseUrl: string, count: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let seen = await mailCount(apiBaseUrl);
  while (seen < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await mailCount(apiBaseUrl);
  }
  return seen;
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('startDevInbox', () => {
  it('picks free ports for port 0 and receives mail on them', async () => {
    const inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
    try {
      const smtpPort = Number(/^smtp:\/\/127\.0\.0\.1:(\d+)$/.exec(inbox.smtpUrl)?.[1]);
      expect(smtpPort).toBeGreaterThan(0);
      expect(smtpPort).not.toBe(1025);
      expect(inbox.webUrl).toBe(`${inbox.apiBaseUrl}/`);
      expect((await fetch(inbox.webUrl)).status).toBe(200);

      const mailer = createSmtpMailer({ smtpUrl: inbox.smtpUrl, from: 'gatehouse@test.example' });
      await mailer.send(mail);
      await mailer.close();
      expect(await waitForCount(inbox.apiBaseUrl, 1)).toBe(1);
    } finally {
      await inbox.close();
    }
  });

  it('deletes its mail directory on close', async () => {
    const rm = jest.spyOn(fsPromises, 'rm');
    try {
      const inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
      await inbox.close();
      const removed = rm.mock.calls.map(([path]) => String(path)).filter((p) => p.startsWith(join(tmpdir(), 'gatehouse-inbox-')));
      expect(removed).toHaveLength(1);
      expect(existsSync(removed[0]!)).toBe(false);
    } finally {
      rm.mockRestore();
    }
  });

  it('does not install signal handlers that would exit the host process', async () => {
    const before = process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');
    const inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
    try {
      expect(process.listenerCount('SIGTERM') + process.listenerCount('SIGINT')).toBe(before);
    } finally {
      await inbox.close();
    }
  });

  it('releases its ports on close and starts again with an empty inbox', async () => {
    const smtpPort = await freePort();
    const webPort = await freePort();
    const first = await startDevInbox({ smtpPort, webPort });
    const mailer = createSmtpMailer({ smtpUrl: first.smtpUrl, from: 'gatehouse@test.example' });
    await mailer.send(mail);
    await mailer.close();
    expect(await waitForCount(first.apiBaseUrl, 1)).toBe(1);
    await first.close();
    await first.close();

    const second = await startDevInbox({ smtpPort, webPort });
    try {
      expect(await mailCount(second.apiBaseUrl)).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('rejects with DevInboxError when the SMTP port is taken, instead of crashing', async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    try {
      await expect(startDevInbox({ smtpPort: port, webPort: 0 })).rejects.toThrow(DevInboxError);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
    await inbox.close();
  });

  it('rejects with DevInboxError when the web port is taken', async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    try {
      await expect(startDevInbox({ smtpPort: 0, webPort: port })).rejects.toThrow(DevInboxError);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('createMaildevSentIndex', () => {
  it('throws SentIndexError when the API cannot be reached', async () => {
    const port = await freePort();
    await expect(createMaildevSentIndex(`http://127.0.0.1:${port}`).hasMessage('<x@y>')).rejects.toBeInstanceOf(SentIndexError);
  });
});
