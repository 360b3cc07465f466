import { createServer, type Server } from 'node:net';
import { startDevInbox, DevInboxError } from '../../../src/mail/dev-inbox';
import { createMaildevSentIndex, SentIndexError } from '../../../src/mail/maildev-sent-index';
import { createSmtpMailer } from '../../../src/mail/mailer';
import { freePort } from '../../../src/util/free-port';

const mail = { to: 'bob@example.com', subject: 'hi', text: 'hi', html: '<p>hi</p>', messageId: '<m1@gatehouse.test>' };

async function mailCount(apiBaseUrl: string): Promise<number> {
  const response = await fetch(`${apiBaseUrl}/email`);
  return ((await response.json()) as unknown[]).length;
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('startDevInbox', () => {
  it('picks free ports for port 0 and serves the web UI and REST API', async () => {
    const inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
    try {
      expect(inbox.smtpUrl).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
      expect(inbox.smtpUrl).not.toMatch(/:1025$/);
      expect(inbox.webUrl).toBe(`${inbox.apiBaseUrl}/`);
      expect((await fetch(inbox.webUrl)).status).toBe(200);
      expect(await mailCount(inbox.apiBaseUrl)).toBe(0);
    } finally {
      await inbox.close();
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
    const deadline = Date.now() + 5_000;
    while ((await mailCount(first.apiBaseUrl)) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await mailCount(first.apiBaseUrl)).toBe(1);
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
