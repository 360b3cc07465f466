/**
 * A local mail inbox for development and tests: maildev's SMTP server plus its web UI and REST
 * API, started in-process. Mail sent to it never leaves the machine.
 *
 * maildev was written as a CLI, and embedding it needs care (all verified against 2.2.1):
 * - its state lives in module globals, so a process can run one inbox at a time;
 * - port 0 silently becomes 1025 / 1080 (`port || default`), so we pick free ports ourselves;
 * - the constructor starts the web server without a callback, so we wait for it to listen;
 * - its SMTP error handler rethrows, which would crash the process on EADDRINUSE or on a client
 *   that drops its connection in an unexpected way, so we replace it;
 * - it installs SIGTERM/SIGINT handlers that call `process.exit(0)`, so we remove them: the
 *   host process decides how it shuts down;
 * - received mails are written to a directory and kept in a global array after close, so each
 *   inbox gets a fresh temporary directory and starts with an empty store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailDev = require('maildev');
import maildevWeb = require('maildev/lib/web');
import { freePort } from '../util/free-port';

/** Where the inbox listens. Port 0 picks a free port. */
export interface DevInboxOptions {
  smtpPort: number;
  webPort: number;
  /** Bind address for both servers; loopback by default so the inbox is not on the network. */
  host?: string;
  /** Errors from SMTP clients after start-up (a dev inbox only reports them). */
  onError?: (err: Error) => void;
}

/** A running dev inbox. */
export interface DevInbox {
  /** For nodemailer / `SMTP_URL`, e.g. `smtp://127.0.0.1:1025`. */
  smtpUrl: string;
  /** The web UI, e.g. `http://127.0.0.1:1080/`. */
  webUrl: string;
  /** Base of the REST API (`GET {apiBaseUrl}/email`), without a trailing slash. */
  apiBaseUrl: string;
  /** Stops both servers and deletes the received mail; safe to call more than once. */
  close(): Promise<void>;
}

/** Thrown when the dev inbox cannot start: another one runs in this process, or a port is taken. */
export class DevInboxError extends Error {
  override readonly name = 'DevInboxError';
}

let running = false;

/**
 * Starts maildev in this process.
 *
 * @throws {@link DevInboxError} when an inbox already runs in this process or a server cannot bind.
 */
export async function startDevInbox(options: DevInboxOptions): Promise<DevInbox> {
  if (running) {
    throw new DevInboxError('a dev inbox already runs in this process (maildev keeps its state in module globals)');
  }
  running = true;
  const host = options.host ?? '127.0.0.1';
  let mailDirectory: string | undefined;
  let server: MailDev.Server | undefined;
  try {
    const smtpPort = options.smtpPort === 0 ? await freePort(host) : options.smtpPort;
    const webPort = options.webPort === 0 ? await freePort(host) : options.webPort;
    mailDirectory = await mkdtemp(join(tmpdir(), 'gatehouse-inbox-'));

    const started = withoutNewSignalHandlers(() => new MailDev({ smtp: smtpPort, web: webPort, ip: host, mailDirectory, silent: true }));
    server = started;
    // The store is module-global and outlives close(). maildev empties it too when it reloads
    // the (new, empty) mail directory, but asynchronously; clearing it here means the inbox is
    // empty the moment start-up resolves.
    started.store.length = 0;

    const webServer = maildevWeb.server;
    if (!webServer) throw new DevInboxError('maildev did not start its web server');
    const webListening = untilListening(webServer, `web port ${webPort}`);

    let startupError: ((err: Error) => void) | undefined;
    // maildev's own handler rethrows the error; removing it takes the very function it registered.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    started.smtp.removeListener('error', started.onSmtpError);
    started.smtp.on('error', (err: Error) => (startupError ? startupError(err) : options.onError?.(err)));
    const smtpListening = new Promise<void>((resolve, reject) => {
      startupError = (err) => reject(new DevInboxError(`SMTP port ${smtpPort}: ${err.message}`, { cause: err }));
      started.listen().then(resolve, reject);
    });
    // Wait for both to settle even if one fails, so cleanup never races a bind still in flight.
    const failure = (await Promise.allSettled([webListening, smtpListening])).find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    startupError = undefined;

    const hostInUrl = host.includes(':') ? `[${host}]` : host;
    const apiBaseUrl = `http://${hostInUrl}:${webPort}`;
    const directory = mailDirectory;
    let closing: Promise<void> | undefined;
    return {
      smtpUrl: `smtp://${hostInUrl}:${smtpPort}`,
      webUrl: `${apiBaseUrl}/`,
      apiBaseUrl,
      close() {
        closing ??= shutDown(started, webServer, directory);
        return closing;
      },
    };
  } catch (err) {
    if (server) await shutDown(server, maildevWeb.server, mailDirectory).catch(() => undefined);
    else if (mailDirectory) await rm(mailDirectory, { recursive: true, force: true });
    running = false;
    throw err;
  }
}

async function shutDown(server: MailDev.Server, webServer: Server | null, mailDirectory: string | undefined): Promise<void> {
  try {
    // maildev closes its web server from a `close` listener without a callback; wait for it.
    const webClosed = webServer?.listening ? new Promise<void>((resolve) => webServer.once('close', () => resolve())) : Promise.resolve();
    await new Promise<void>((resolve) => server.close(resolve));
    await webClosed;
    // Each construction adds a `close` listener; drop them so a later inbox starts clean.
    server.removeAllListeners('close');
    if (mailDirectory) await rm(mailDirectory, { recursive: true, force: true });
  } finally {
    running = false;
  }
}

function untilListening(server: Server, what: string): Promise<void> {
  if (server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(new DevInboxError(`${what}: ${err.message}`, { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
}

/** Runs `create`, then removes any SIGTERM/SIGINT handler it added (maildev's exit(0) handlers). */
function withoutNewSignalHandlers<T>(create: () => T): T {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  try {
    return create();
  } finally {
    for (const signal of signals) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
      }
    }
  }
}
