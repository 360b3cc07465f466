/** A file of this checkout, found from src/dev under tsx and jest or from dist/src/dev once compiled. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function checkoutFile(relative: string): string {
  const candidates = [resolve(__dirname, '../..', relative), resolve(__dirname, '../../..', relative)];
  return candidates.find((f) => existsSync(f)) ?? candidates[0]!;
}
