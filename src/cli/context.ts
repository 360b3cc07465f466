/** What every command needs: configuration, a Temporal client, a way to print and to fail. */
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config/env';
import { GatehouseClient } from '../client';
import { connectionOptions } from '../temporal/connection';
import { dataConverterFor } from '../temporal/payload-codec';

export const ExitCode = { ok: 0, failure: 1, usage: 2, notFound: 3, refused: 4 } as const;

/** Thrown by a command to end with a message and an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
  ) {
    super(message);
  }
}

export interface CliContext {
  config: Config;
  out: (line: string) => void;
  connect(): Promise<{ client: Client; gatehouse: GatehouseClient }>;
  close(): Promise<void>;
}

/** What a command that signs as the agent says when GATEHOUSE_AGENT_KEY is not set. */
export function noAgentKey(what: string): CliError {
  return new CliError(
    `${what} must be signed: set GATEHOUSE_AGENT_KEY to the agent's "kid:hex" key (\`gatehouse keys\` makes one; ./temporal-dev.sh writes a dev key to .gatehouse/dev.env)`,
    ExitCode.usage,
  );
}

export function createCliContext(): CliContext {
  const config = loadConfig();
  let connection: Connection | undefined;
  return {
    config,
    out: (line) => process.stdout.write(`${line}\n`),
    async connect() {
      connection ??= await Connection.connect(connectionOptions(config));
      const client = new Client({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        dataConverter: dataConverterFor(config.GATEHOUSE_PAYLOAD_KEYS),
      });
      const gatehouse = await GatehouseClient.connect({
        client,
        taskQueue: config.GATEHOUSE_TASK_QUEUE,
        ...(config.GATEHOUSE_AGENT_KEY ? { agentKey: config.GATEHOUSE_AGENT_KEY } : {}),
      });
      return { client, gatehouse };
    },
    async close() {
      await connection?.close();
    },
  };
}
