/**
 * A small SMTP server that refuses recipients for good: `550` to every RCPT TO except the
 * addresses it is told to accept, whose mails it keeps. Enough of RFC 5321 for nodemailer.
 */
import { createServer, type Socket } from 'node:net';

export interface AcceptedMail {
  to: string[];
  subject: string;
}

export interface RefusingSmtp {
  url: string;
  accepted: AcceptedMail[];
  /** Every RCPT TO it answered 550, in order. */
  refused: string[];
  close(): Promise<void>;
}

export async function startRefusingSmtp(accept: string[]): Promise<RefusingSmtp> {
  const accepted: AcceptedMail[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    let rcpt: string[] = [];
    let data: string[] | undefined;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 refusing.test ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line !== '.') {
            data.push(line);
            continue;
          }
          // Headers end at the first empty line; long ones are folded onto lines starting with a space.
          const headers = data
            .slice(0, data.indexOf(''))
            .join('\r\n')
            .replace(/\r\n[ \t]+/g, ' ')
            .split('\r\n');
          const subject =
            headers
              .find((l) => l.toLowerCase().startsWith('subject:'))
              ?.slice(8)
              .trim() ?? '';
          accepted.push({ to: rcpt, subject });
          data = undefined;
          rcpt = [];
          reply('250 2.0.0 queued');
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-refusing.test\r\n250 8BITMIME');
        else if (verb === 'HELO' || verb === 'NOOP') reply('250 ok');
        else if (verb === 'MAIL') reply('250 2.1.0 ok');
        else if (verb === 'RSET') {
          rcpt = [];
          reply('250 ok');
        } else if (verb === 'RCPT') {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (accept.includes(address)) {
            rcpt.push(address);
            reply('250 2.1.5 ok');
          } else {
            refused.push(address);
            reply('550 5.1.1 mailbox unavailable');
          }
        } else if (verb === 'DATA') {
          if (rcpt.length === 0) reply('554 5.5.1 no valid recipients');
          else {
            data = [];
            reply('354 go ahead');
          }
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 5.5.2 not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    refused,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
