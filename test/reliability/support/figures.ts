/** Writes a fault test's figures to test-artifacts/reliability/<name>.json, for the README. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const DIR = resolve(__dirname, '../../../test-artifacts/reliability');

export function writeFigures(name: string, figures: Record<string, unknown>): string {
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2)}\n`);
  return file;
}
