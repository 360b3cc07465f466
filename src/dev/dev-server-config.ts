/**
 * The dev server's dynamic config (scripts/dev-server.dynamic-config), for the test suite and the
 * bench; ./temporal-dev.sh reads the same file.
 */
import { readFileSync } from 'node:fs';
import { checkoutFile } from './checkout-file';

const CONFIG_FILE = checkoutFile('scripts/dev-server.dynamic-config');

/** Every `KEY=VALUE` setting in the file. */
export function devServerDynamicConfig(file = CONFIG_FILE): string[] {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      // A `#` starts a comment, at the start of a line or after a setting (as ./temporal-dev.sh reads it).
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== '')
      .map((setting) => {
        if (!/^[A-Za-z0-9_.]+=\S+$/.test(setting)) throw new Error(`${file}: "${setting}" is not KEY=VALUE`);
        return setting;
      })
  );
}

/** The settings as the dev server's arguments: `--dynamic-config-value KEY=VALUE` each. */
export function devServerDynamicConfigArgs(file = CONFIG_FILE): string[] {
  return devServerDynamicConfig(file).flatMap((setting) => ['--dynamic-config-value', setting]);
}
