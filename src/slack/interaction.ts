/**
 * What Slack posts to the interactivity endpoint, parsed only after its signature is verified:
 * a button click on a card (`block_actions`) or the reason modal's submission (`view_submission`).
 */
import { z } from 'zod';
import { REASON_MODAL, SlackAction } from './card';

const SlackUserSchema = z.object({ id: z.string().min(1).max(40) });

const SHA256 = /^sha256:[0-9a-f]{64}$/;
const TOKEN = /^[A-Za-z0-9_.-]{1,2048}$/;

/**
 * A decision button's value: the params hash the card showed and the signed token whose grant the
 * worker minted for this reviewer's card.
 */
export const ActionValueSchema = z
  .string()
  .max(2_000)
  .transform((v, ctx) => {
    const [paramsHash, token, ...rest] = v.split(' ');
    if (!paramsHash || !token || rest.length > 0 || !SHA256.test(paramsHash) || !TOKEN.test(token)) {
      ctx.addIssue({ code: 'custom', message: 'not a Gatehouse card value' });
      return z.NEVER;
    }
    return { paramsHash, token };
  });
export type ActionValue = z.infer<typeof ActionValueSchema>;

export function actionValue(paramsHash: string, token: string): string {
  return `${paramsHash} ${token}`;
}

/** The card a click came from, so the decision service can edit it at once. */
const ContainerSchema = z.object({ channel_id: z.string().max(40), message_ts: z.string().max(40) });

export const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: SlackUserSchema,
  trigger_id: z.string().max(200),
  /** Where an answer only the clicker sees goes (a refusal); checked against the allowed origins before use. */
  response_url: z.string().max(2_000).optional(),
  container: ContainerSchema.partial().optional(),
  actions: z
    .array(z.object({ action_id: z.string().max(255), value: z.string().max(2_000).optional() }))
    .min(1)
    .max(1),
  message: z
    .object({ blocks: z.array(z.looseObject({ type: z.string().max(40), block_id: z.string().max(255).optional() })).max(50) })
    .optional(),
});
export type BlockActions = z.infer<typeof BlockActionsSchema>;

/** Carried through the modal in `private_metadata`: what was clicked, and on which card. */
export const ModalMetadataSchema = z.object({
  kind: z.enum(['reject', 'request_changes']),
  value: z.string().max(2_000),
  card: ContainerSchema.optional(),
});
export type ModalMetadata = z.infer<typeof ModalMetadataSchema>;

export const ViewSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user: SlackUserSchema,
  view: z.object({
    callback_id: z.literal(REASON_MODAL.callbackId),
    private_metadata: z.string().max(3_000),
    state: z.object({
      values: z.object({
        [REASON_MODAL.blockId]: z.object({ [REASON_MODAL.actionId]: z.object({ value: z.string().max(5_000).nullish() }) }),
      }),
    }),
  }),
});
export type ViewSubmission = z.infer<typeof ViewSubmissionSchema>;

export const InteractionSchema = z.discriminatedUnion('type', [BlockActionsSchema, ViewSubmissionSchema]);
export type Interaction = z.infer<typeof InteractionSchema>;

/** Thrown when Slack's body is not an interaction Gatehouse sent buttons for. */
export class SlackPayloadError extends Error {
  override readonly name = 'SlackPayloadError';
}

/** Thrown when the Slack user who clicked is nobody in the reviewer directory, or not the card's reviewer. */
export class SlackUserNotReviewerError extends Error {
  override readonly name = 'SlackUserNotReviewerError';
  constructor() {
    super('your Slack account is not the reviewer this card was sent to');
  }
}

/**
 * @throws {@link SlackPayloadError} unless the body is `payload=<JSON of an interaction>`.
 */
export function parseInteraction(rawBody: Buffer): Interaction {
  const payload = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (!payload) throw new SlackPayloadError('no payload');
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (err) {
    throw new SlackPayloadError('payload is not JSON', { cause: err });
  }
  const parsed = InteractionSchema.safeParse(json);
  if (!parsed.success) throw new SlackPayloadError('not an interaction Gatehouse handles', { cause: parsed.error });
  return parsed.data;
}

export const DECISION_ACTIONS: ReadonlySet<string> = new Set([SlackAction.approve, SlackAction.reject, SlackAction.requestChanges]);
