/**
 * A TCP proxy in front of an SMTP server that keeps a send inside the commit: once a connection
 * has sent the full message (its DATA ends) whose text contains a marker, the server's answers
 * on that connection are no longer passed back. The server has accepted and filed the mail; the
 * sender never hears the 250, as when a worker dies right after the send.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SmtpHoldProxy {
  smtpUrl: string;
  /** Connections whose answers are being held back right now. */
  held(): number;
  /** Holds the answer to the next message whose text contains `marker`. */
  holdMessageContaining(marker: string): void;
  close(): Promise<void>;
}

export async function startSmtpHoldProxy(smtpUrl: string): Promise<SmtpHoldProxy> {
  const upstream = new URL(smtpUrl);
  const markers: string[] = [];
  const sockets = new Set<Socket>();
  const holding = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    const server = connect(Number(upstream.port), upstream.hostname);
    let sent = '';
    let hold = false;
    client.on('data', (chunk: Buffer) => {
      server.write(chunk);
      sent = (sent + chunk.toString('latin1')).slice(-200_000);
      const marker = markers.find((m) => sent.includes(m) && sent.lastIndexOf('\r\n.\r\n') > sent.indexOf(m));
      if (marker) {
        markers.splice(markers.indexOf(marker), 1);
        hold = true;
        holding.add(client);
      }
    });
    server.on('data', (chunk: Buffer) => {
      if (!hold) client.write(chunk);
    });
    const end = (): void => {
      holding.delete(client);
      sockets.delete(client);
      client.destroy();
      server.destroy();
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    smtpUrl: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => holding.size,
    holdMessageContaining: (marker) => void markers.push(marker),
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
