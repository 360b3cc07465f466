/**
 * Params schemas of the built-in action types. Pure zod, shared by the client SDK (validation at
 * the agent's boundary), the policy activity (validation again, since history is not a boundary
 * we trust) and the decision page (edited params).
 */
import { z } from 'zod';

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name');
const headerValue = z
  .string()
  .max(2_000)
  .regex(/^[^\r\n]*$/, 'no line breaks in header values');

export const EmailSendParamsSchema = z.object({
  to: z.array(z.email()).min(1).max(50),
  cc: z.array(z.email()).max(50).optional(),
  bcc: z.array(z.email()).max(50).optional(),
  subject: z
    .string()
    .min(1)
    .max(300)
    .regex(/^[^\r\n]*$/, 'the subject must be one line'),
  text: z.string().min(1).max(100_000),
  html: z.string().max(200_000).optional(),
  replyTo: z.email().optional(),
});
export type EmailSendParams = z.infer<typeof EmailSendParamsSchema>;

export const HttpRequestParamsSchema = z.object({
  method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']),
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(headerName, headerValue).optional(),
  body: z.unknown().optional(),
  /** A read-only request that shows whether the effect exists (used to verify and before a retry). */
  verify: z.object({
    url: z.url({ protocol: /^https?$/ }),
    /** Status meaning "the effect is there"; 404 means "not there yet". */
    expectStatus: z.number().int().min(200).max(299).default(200),
  }),
  /** A read-only JSON resource holding the values the agent's preconditions refer to. */
  preconditionUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** How to undo the effect when verification fails; without it a failed verification needs a human. */
  rollback: z
    .object({
      method: z.enum(['POST', 'DELETE']),
      url: z.url({ protocol: /^https?$/ }),
    })
    .optional(),
});
export type HttpRequestParams = z.infer<typeof HttpRequestParamsSchema>;

export const TicketUpdateParamsSchema = z.object({
  ticketId: z.string().min(1).max(100),
  fields: z.record(z.string(), z.unknown()),
  comment: z.string().max(20_000).optional(),
});

export const DbWriteParamsSchema = z.object({
  database: z.string().min(1).max(100),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
  operation: z.enum(['insert', 'update', 'delete']),
  key: z.record(z.string(), z.union([z.string(), z.number()])),
  values: z.record(z.string(), z.unknown()).optional(),
  expectedVersion: z.number().int().optional(),
});

export const AccessGrantParamsSchema = z.object({
  system: z.string().min(1).max(100),
  subject: z.string().min(1).max(128),
  role: z.string().min(1).max(100),
  justification: z.string().min(1).max(5_000),
  expiresAt: z.iso.datetime().optional(),
});

export const PaymentRefundParamsSchema = z.object({
  customerId: z.string().min(1).max(100),
  amount: z.number().positive().max(1_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/),
  reason: z.string().min(1).max(2_000),
  invoiceId: z.string().max(100).optional(),
});

const commitId = z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-character commit id');

export const CodeDeployParamsSchema = z.object({
  service: z.string().min(1).max(100),
  environment: z.enum(['staging', 'production']),
  /** A tag, branch or commit; no leading dash, nothing git could read as an option or a range. */
  ref: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/, 'a git ref name (letters, digits, . _ / -)')
    .refine((r) => !r.includes('..'), 'a single ref, not a range'),
  /** The commit reviewers approved: the deploy is refused if `ref` has moved to another one. */
  commit: commitId.optional(),
  /** Where the deploy ref pointed when the agent proposed (null: not deployed yet); moved only from there. */
  expectedCurrent: commitId.nullable().optional(),
  changeSummary: z.string().max(10_000).optional(),
});

/** The seed's decision matrix plus the two generic executors. */
export const BUILT_IN_PARAMS_SCHEMAS = {
  'email.send': EmailSendParamsSchema,
  'http.request': HttpRequestParamsSchema,
  'ticket.update': TicketUpdateParamsSchema,
  'db.write': DbWriteParamsSchema,
  'access.grant': AccessGrantParamsSchema,
  'payment.refund': PaymentRefundParamsSchema,
  'code.deploy': CodeDeployParamsSchema,
} as const satisfies Record<string, z.ZodType<Record<string, unknown>>>;

export type BuiltInActionType = keyof typeof BUILT_IN_PARAMS_SCHEMAS;
