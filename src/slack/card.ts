/**
 * Slack renderings of the evidence pack: the card a reviewer decides on, the reason modal, and
 * the card once it is decided. Built from the same pack as the mail (mail caps), so masking and
 * cleaning are the same. Agent-written and person-written text goes into `plain_text` objects
 * only: mrkdwn would turn `<!channel>` or `<https://…|Approve here>` in a summary into a mention
 * or a disguised link.
 */
import type { EvidencePack } from '../evidence/pack';
import type { SlackBlocks, SlackMessage, SlackModal } from './client';

/** The card's action ids; the interactivity endpoint dispatches on them. */
export const SlackAction = {
  approve: 'gatehouse.approve',
  reject: 'gatehouse.reject',
  requestChanges: 'gatehouse.request_changes',
  openEvidence: 'gatehouse.open_evidence',
} as const;
export type SlackAction = (typeof SlackAction)[keyof typeof SlackAction];

/** The reason modal's callback id and its one input. */
export const REASON_MODAL = { callbackId: 'gatehouse.reason', blockId: 'reason', actionId: 'reason' } as const;

/** Slack caps a section's text at 3,000 characters; leave room for the label. */
const SECTION_MAX = 2_900;

export interface CardInput {
  pack: EvidencePack;
  /** The signed link to the evidence page (where edits, delegation and escalation live). */
  evidenceUrl: string;
  /** The buttons' value (see interaction.ts); absent: no decision buttons, only the link. */
  actionValue?: string;
  /** What happened so far (decisions by any channel), shown above the buttons. */
  lines?: readonly string[];
}

const plain = (text: string) => ({ type: 'plain_text' as const, text: cap(text || ' ', SECTION_MAX), emoji: false });
const cap = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function factBlocks(pack: EvidencePack): SlackBlocks {
  const triggers = pack.triggersFired.map((t) => `• ${t.id}: ${t.description}`).join('\n');
  const params = pack.params.map((p) => `${p.label}: ${p.value}`).join('\n');
  return [
    { type: 'header', text: plain(cap(`Approval needed: ${pack.actionType}`, 150)) },
    { type: 'section', text: plain(`Agent’s summary (written by the agent, not verified): ${pack.summary}`) },
    {
      type: 'section',
      fields: [
        plain(`Action type: ${pack.actionType}`),
        plain(`Risk: ${pack.risk}`),
        plain(`Deadline: ${pack.deadline ?? 'none'}`),
        plain(`Round: ${pack.round}`),
      ],
    },
    ...(triggers ? [{ type: 'section' as const, text: plain(`Triggers:\n${triggers}`) }] : []),
    { type: 'section', text: plain(`Parameters:\n${params || '(none)'}`) },
  ];
}

/** The open card: the facts, then Approve / Reject / Request changes (when allowed) and the link. */
export function openCard(input: CardInput): SlackMessage {
  const { pack, actionValue: value } = input;
  const buttons = value
    ? [
        { type: 'button' as const, action_id: SlackAction.approve, text: plain('Approve'), style: 'primary' as const, value },
        { type: 'button' as const, action_id: SlackAction.reject, text: plain('Reject'), style: 'danger' as const, value },
        { type: 'button' as const, action_id: SlackAction.requestChanges, text: plain('Request changes'), value },
      ]
    : [];
  return {
    text: `Approval needed: ${pack.actionType} (${pack.risk} risk)`,
    blocks: [
      ...factBlocks(pack),
      ...(input.lines && input.lines.length > 0 ? [{ type: 'section' as const, text: plain(input.lines.join('\n')) }] : []),
      {
        type: 'actions',
        block_id: 'gatehouse.decide',
        elements: [
          ...buttons,
          { type: 'button', action_id: SlackAction.openEvidence, text: plain('Open evidence'), url: input.evidenceUrl },
        ],
      },
    ],
  };
}

/** The card after a decision or the run's end: who decided what, when, through which channel; no buttons. */
export function closedCard(pack: EvidencePack, lines: readonly string[]): SlackMessage {
  return {
    text: `${pack.actionType}: ${lines[0] ?? 'decided'}`,
    blocks: [...factBlocks(pack), { type: 'section', text: plain(lines.join('\n')) }],
  };
}

/** The modal that asks for the reason a rejection or a change request needs. */
export function reasonModal(kind: 'reject' | 'request_changes', privateMetadata: string): SlackModal {
  return {
    type: 'modal',
    callback_id: REASON_MODAL.callbackId,
    private_metadata: privateMetadata,
    title: plain(kind === 'reject' ? 'Reject' : 'Request changes'),
    submit: plain(kind === 'reject' ? 'Reject' : 'Send'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: REASON_MODAL.blockId,
        label: plain(kind === 'reject' ? 'Why reject?' : 'What should change?'),
        element: { type: 'plain_text_input', action_id: REASON_MODAL.actionId, multiline: true, max_length: 2_000 },
      },
    ],
  };
}
