/**
 * "Send me a fresh link": a reviewer whose link expired (or was superseded by a new round) asks
 * for a new one. The decision service cannot mint links (they carry the worker's grant), so it
 * signals the run, which mails a fresh link to the reviewer's address on file, never to one taken
 * from the request, and at most once per interval per person.
 */
import { z } from 'zod';
import { SubjectIdSchema } from './subject';

/** Who asks: the reviewer and role of a link whose MAC verified (its expiry aside). */
export const FreshLinkRequestSchema = z.strictObject({
  reviewerId: SubjectIdSchema,
  role: z.string().min(1).max(64),
});
export type FreshLinkRequest = z.infer<typeof FreshLinkRequestSchema>;

/** At most one fresh-link mail per reviewer per this interval: the page cannot be used to spam. */
export const FRESH_LINK_INTERVAL_MS = 10 * 60_000;
