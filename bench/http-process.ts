/**
 * The decision service in a process of its own, as it runs in a deployment (`npm run
 * start:http`): the product's Express app and, as its floor, an Express hello-world app, each on
 * a free port, with its own connection to Temporal. Away from the driver, whose event loop also
 * schedules the open-loop decisions and takes every report from the worker, so those do not
 * delay requests. Compiled to plain JavaScript by bench/bundle.ts.
 *
 * Protocol: its configuration as JSON in BENCH_HTTP; answers its URLs (BenchHttp) over IPC once
 * both listen; closes on SIGTERM.
 */
import { Client, Connection } from '@temporalio/client';
import { createDecisionSigner } from '../src/links/decision-signer';
import { parseLinkKeyring } from '../src/links/keyring';
import { startHttp } from './http';
import type { HttpProcessConfig } from './http-host';

async function main(): Promise<void> {
  const config = JSON.parse(process.env['BENCH_HTTP'] ?? '') as HttpProcessConfig;
  const connection = await Connection.connect({ address: config.address });
  const client = new Client({ connection, namespace: config.namespace });
  const http = await startHttp({ client, linkKeyring: parseLinkKeyring(config.linkKeys), signer: createDecisionSigner(config.signer) });
  process.once('SIGTERM', () => {
    void http
      .close()
      .then(() => connection.close())
      .finally(() => process.exit(0));
  });
  process.send?.({ baseUrl: http.baseUrl, helloUrl: http.helloUrl, floorSignalBase: http.floorSignalBase });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench decision service failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
