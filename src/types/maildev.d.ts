/**
 * The part of maildev 2.x that `src/mail/dev-inbox.ts` uses; maildev ships no types.
 * Checked against node_modules/maildev/index.js, lib/mailserver.js and lib/web.js (2.2.1).
 * maildev keeps its state in module globals: one inbox per process.
 */
declare module 'maildev' {
  import type { EventEmitter } from 'node:events';

  namespace MailDev {
    interface Options {
      /** SMTP port; 0 or absent means maildev's default 1025 (it does `port || 1025`). */
      smtp?: number;
      /** Web/REST port; 0 or absent means 1080. */
      web?: number;
      /** Address the SMTP server (and by default the web server) binds; default `::`. */
      ip?: string;
      webIp?: string;
      /** Where received .eml files are written; default `<tmpdir>/maildev-<pid>`. */
      mailDirectory?: string;
      silent?: boolean;
      verbose?: boolean;
      disableWeb?: boolean;
      basePathname?: string;
      hideExtensions?: string[];
    }

    /** The SMTPServer from `smtp-server`, as far as we touch it. */
    type SmtpServer = EventEmitter;

    /** What `new MailDev()` returns: maildev's module-level mail server object. */
    interface Server {
      /** Starts the SMTP server (the web server was started by the constructor already). */
      listen(callback?: (err?: Error) => void): Promise<void>;
      /** Emits `close` (which closes the web server) and closes the SMTP server. */
      close(callback?: () => void): void;
      on(event: 'new', listener: (mail: unknown) => void): void;
      on(event: string, listener: (...args: unknown[]) => void): void;
      removeAllListeners(event?: string): void;
      /** Received mails; module-global, so it outlives `close()`. */
      readonly store: unknown[];
      /** Exposed by maildev "for testability"; its default error handler rethrows. */
      readonly smtp: SmtpServer;
      onSmtpError(err: Error): void;
    }
  }

  interface MailDevConstructor {
    /**
     * Builds the mail server, starts the web server at once, and registers process-wide
     * SIGTERM/SIGINT handlers that call `process.exit(0)`.
     */
    new (options: MailDev.Options): MailDev.Server;
  }

  const MailDev: MailDevConstructor;
  export = MailDev;
}

declare module 'maildev/lib/web' {
  import type { Server } from 'node:http';

  /** The web server `new MailDev()` started; null before the first start. */
  export const server: Server | null;
}
