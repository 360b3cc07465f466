/** A client connected only through a Temporal environment-configuration profile reaches the real server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parseConfig } from '../../src/config/env';
import { GatehouseClient } from '../../src/client';
import { connectionOptions } from '../../src/temporal/connection';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
const connections: Connection[] = [];

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await h.close();
});

async function clientFromProfile(toml: string, profile: string): Promise<Client> {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-profile-')), 'temporal.toml');
  writeFileSync(file, toml);
  // No TEMPORAL_ADDRESS or TEMPORAL_NAMESPACE: everything comes from the file.
  const config = parseConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: profile });
  const connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: 5_000 });
  connections.push(connection);
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

describe('connecting through a profile', () => {
  it('proposes and follows a run to its end on the server and namespace the profile names', async () => {
    const address = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!;
    const toml = `[profile.default]\naddress = "127.0.0.1:1"\n\n[profile.local]\naddress = "${address}"\nnamespace = "default"\n`;
    const client = await clientFromProfile(toml, 'local');
    const gatehouse = await GatehouseClient.connect({
      client,
      taskQueue: h.taskQueue,
      actionTypes: h.actionTypes,
      agentKey: h.agentKeySpec,
    });
    const run = await gatehouse.propose(h.proposal('test.auto'));
    const final = await client.workflow.getHandle(run.workflowId).result();
    expect(final.status).toBe('succeeded');
  });

  it('reaches the namespace the profile names, not the default one', async () => {
    const address = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!;
    const client = await clientFromProfile(`[profile.other]\naddress = "${address}"\nnamespace = "no-such-namespace"\n`, 'other');
    await expect(client.workflow.count()).rejects.toThrow(/no-such-namespace/);
  });
});
