/** Runs the built `gatehouse` CLI as an operator would, against the run's Temporal server. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const fullEnv = { PATH: process.env['PATH'] ?? '', TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!, ...env };
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [CLI, ...args], { env: fullEnv });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as CliResult;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
