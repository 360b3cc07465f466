#!/usr/bin/env node
/**
 * Dev Slack process for `temporal-dev.sh up`: the Slack-compatible fake the worker and the
 * decision service talk to, and its page of the cards it holds.
 */
import { createLogger } from '../observability/logger';
import { startSlackFake } from './slack-fake';

async function main(): Promise<void> {
  const logger = createLogger({ name: 'gatehouse-slack' });
  const slack = await startSlackFake({ port: Number(process.env['GATEHOUSE_DEV_SLACK_PORT'] ?? 8092) });
  logger.info({ api: slack.apiUrl, page: slack.pageUrl }, 'dev slack ready');
  const stop = (): void => void slack.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse slack: ${(err as Error).message}\n`);
  process.exit(1);
});
