/**
 * The dev server's dynamic config (scripts/dev-server.dynamic-config) as CLI arguments, for the
 * test suite and the bench; ./temporal-dev.sh reads the same file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** From src/dev under tsx and jest, or from dist/src/dev once compiled. */
const CONFIG_FILE = [resolve(__dirname, '../../scripts/dev-server.dynamic-config'), resolve(__dirname, '../../../scripts/dev-server.dynamic-config')].find((f) => existsSync(f)) ?? resolve(__dirname, '../../scripts/dev-server.dynamic-config');

/** `--dynamic-config-value KEY=VALUE` for every setting in the file. */
export function devServerDynamicConfigArgs(file = CONFIG_FILE): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .flatMap((setting) => {
      if (!/^[A-Za-z0-9_.]+=\S+$/.test(setting)) throw new Error(`${file}: "${setting}" is not KEY=VALUE`);
      return ['--dynamic-config-value', setting];
    });
}
