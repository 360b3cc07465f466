#!/usr/bin/env node
/** `gatehouse`: the operator's command line. One file per command. */
import { ZodError } from 'zod';
import { ConfigError } from '../config/env';
import { CliError, ExitCode, createCliContext } from './context';
import { auditCommand } from './audit';
import { cancelCommand } from './cancel';
import { decideCommand } from './decide';
import { describeIssues } from './input-errors';
import { demoCommand } from './demo';
import { keysCommand } from './keys';
import { keysRefreshCommand } from './keys-refresh';
import { listCommand } from './list';
import { mcpGatewayCommand } from './mcp-gateway';
import { proposeCommand } from './propose';
import { showCommand } from './show';
import { statsCommand } from './stats';
import { withdrawCommand } from './withdraw';

const COMMANDS = {
  propose: proposeCommand,
  list: listCommand,
  show: showCommand,
  decide: decideCommand,
  withdraw: withdrawCommand,
  cancel: cancelCommand,
  demo: demoCommand,
  audit: auditCommand,
  stats: statsCommand,
  'mcp-gateway': mcpGatewayCommand,
} as const;

const USAGE = `usage: gatehouse <command> [options]
  propose <proposal.json>           start an approval run
  list [--status S | --query Q]     runs awaiting approval (or matching a list query)
  show <workflowId> [--json]        state of one run
  decide <workflowId> --as ID --role ROLE (--approve|--reject|--escalate|--delegate-to ID) [--comment C]
  withdraw <workflowId> [--by ID] [--reason R]   signed with GATEHOUSE_AGENT_KEY; --by defaults to the run's agent
  cancel <workflowId>               operator stop: withdrawn before the commit; a commit in flight finishes
  audit <workflowId> [--json]       audit record of a run; --since 7d --jsonl exports; verify checks the log
  stats [--since 7d] [--json]       time to approval, rejection rates, share auto-approved
  demo [dir]                        submit the sample proposals in examples/
  mcp-gateway [--config FILE]       MCP server on stdio in front of the downstream servers of FILE
                                    (GATEHOUSE_MCP_CONFIG); gated calls are proposals signed with GATEHOUSE_AGENT_KEY
  keys [--operator ID] [--agent-only] [--agents-file F]   print fresh dev keys as env lines (the operator
                                    key registered to ID); --agents-file also writes a dev agent registry
                                    giving the new agent key to every sample agent
  keys refresh                      open runs adopt the keys their workers trust now (after workers
                                    restarted with a key added or removed; see docs/production.md)`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  // Refresh talks to Temporal; the other `keys` output needs no configuration at all.
  if (name === 'keys' && args[0] === 'refresh') {
    const ctx = createCliContext();
    try {
      await keysRefreshCommand(ctx, args.slice(1));
      return ExitCode.ok;
    } finally {
      await ctx.close();
    }
  }
  if (name === 'keys') {
    await keysCommand({ out: (l) => process.stdout.write(`${l}\n`) }, args);
    return ExitCode.ok;
  }
  if (!name || !(name in COMMANDS)) {
    process.stderr.write(`${USAGE}\n`);
    return name && name !== 'help' && name !== '--help' ? ExitCode.usage : ExitCode.ok;
  }
  const ctx = createCliContext();
  try {
    await COMMANDS[name as keyof typeof COMMANDS](ctx, args);
    return ExitCode.ok;
  } finally {
    await ctx.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    if (err instanceof ConfigError || (err as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`gatehouse: ${(err as Error).message}\n`);
      process.exit(ExitCode.usage);
    }
    // Invalid input met deeper down (the SDK's schemas): one sentence per field, never zod's JSON.
    if (err instanceof ZodError) {
      process.stderr.write(`gatehouse: invalid input: ${describeIssues(err)}\n`);
      process.exit(ExitCode.usage);
    }
    const message = (err as Error)?.message ?? String(err);
    if (/Unknown encoding: binary\/encrypted/.test(message)) {
      process.stderr.write(
        'gatehouse: the runs are encrypted and GATEHOUSE_PAYLOAD_KEYS is not set (dev stack: set -a; . .gatehouse/dev.env; set +a)\n',
      );
      process.exit(ExitCode.usage);
    }
    process.stderr.write(`gatehouse: ${message}\n`);
    process.exit(ExitCode.failure);
  },
);
