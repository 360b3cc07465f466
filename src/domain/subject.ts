/**
 * Who is who. A module of its own so that the decision schemas, which every workflow run builds,
 * do not pull in the proposal's much larger schema with them.
 */
import { z } from 'zod';

/** Stable subject ids identify people and agents; approvals compare these, never email text. */
export const SubjectIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'use letters, digits and . _ : @ - only');
export type SubjectId = z.infer<typeof SubjectIdSchema>;
