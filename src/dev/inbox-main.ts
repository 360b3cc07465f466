#!/usr/bin/env node
/** Dev mail inbox process: maildev's SMTP server and web inbox on loopback, for `temporal-dev.sh up`. */
import { startDevInbox } from '../mail/dev-inbox';
import { createLogger } from '../observability/logger';

async function main(): Promise<void> {
  const logger = createLogger({ name: 'gatehouse-inbox' });
  const smtpPort = Number(process.env['GATEHOUSE_INBOX_SMTP_PORT'] ?? 1025);
  const webPort = Number(process.env['GATEHOUSE_INBOX_WEB_PORT'] ?? 1080);
  const inbox = await startDevInbox({ smtpPort, webPort, onError: (err) => logger.warn({ err: err.message }, 'smtp client error') });
  logger.info({ smtp: inbox.smtpUrl, web: inbox.webUrl }, 'dev inbox ready');
  const stop = () => void inbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse inbox: ${(err as Error).message}\n`);
  process.exit(1);
});
