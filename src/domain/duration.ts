/** Human-written durations in policies ("90s", "30m", "2h", "1d") turned into milliseconds. */
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DurationSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 30m, 2h or 1d')
  .transform((text) => {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  })
  .refine((ms) => ms > 0, 'must be longer than zero');
