/**
 * The Slack Web API as Gatehouse uses it: post a card, replace it, open the reason modal. Built on
 * `@slack/web-api`'s WebClient with its base URL from configuration, so tests and the dev stack
 * talk to a local Slack-compatible fake.
 */
import { WebClient, type ChatPostMessageArguments, type ViewsOpenArguments } from '@slack/web-api';

export type SlackBlocks = NonNullable<Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks']>;
export type SlackModal = ViewsOpenArguments['view'];

/** A message as Slack shows it: `text` is the notification and fallback, `blocks` the card. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlocks;
}

/** Where a posted card lives: what `chat.update` needs to edit it. */
export interface SlackCardRef {
  channel: string;
  ts: string;
}

export interface SlackApi {
  /** Posts to a user id (the app's direct message with them) or a channel. */
  post(channel: string, message: SlackMessage): Promise<SlackCardRef>;
  update(card: SlackCardRef, message: SlackMessage): Promise<void>;
  openModal(triggerId: string, view: SlackModal): Promise<void>;
  /** Answers a click with a message only its clicker sees (ephemeral), through the interaction's `response_url`. */
  respond(responseUrl: string, text: string): Promise<void>;
  /** The app's direct-message channel with a user (where `post` to that user id lands). */
  dmChannel(userId: string): Promise<string>;
}

export interface SlackApiOptions {
  botToken: string;
  /** e.g. `https://slack.com/api/` (GATEHOUSE_SLACK_API_URL). */
  apiUrl: string;
  /** Per request; Slack answers `views.open` only within 3 s of the click anyway. */
  timeoutMs?: number;
}

/** Thrown when an interaction's `response_url` is not Slack's (or, in tests and the dev stack, the fake's). */
export class SlackResponseUrlError extends Error {
  override readonly name = 'SlackResponseUrlError';
}

/**
 * Where a `response_url` may point: the configured API's origin (the fake serves both), and
 * Slack's hooks host when the API is Slack's own. The URL comes from a signed request, but the
 * decision service still posts nowhere else.
 */
export function responseUrlOrigins(apiUrl: string): string[] {
  const origin = new URL(apiUrl).origin;
  return origin === 'https://slack.com' ? [origin, 'https://hooks.slack.com'] : [origin];
}

/** Thrown when Slack answers without the channel and ts of the message it says it posted. */
export class SlackResponseError extends Error {
  override readonly name = 'SlackResponseError';
}

export function createSlackApi(options: SlackApiOptions): SlackApi {
  const origins = responseUrlOrigins(options.apiUrl);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const web = new WebClient(options.botToken, {
    slackApiUrl: options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`,
    timeout: timeoutMs,
    // Temporal retries the activity, and a click's handler must answer within 3 s: no retries here.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // Only methods under the configured base URL, never an absolute URL smuggled in as a method.
    allowAbsoluteUrls: false,
  });
  return {
    async post(channel, message) {
      const result = await web.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false });
      if (!result.channel || !result.ts) throw new SlackResponseError('chat.postMessage answered without channel and ts');
      return { channel: result.channel, ts: result.ts };
    },
    async update(card, message) {
      await web.chat.update({ channel: card.channel, ts: card.ts, text: message.text, blocks: message.blocks });
    },
    async openModal(triggerId, view) {
      await web.views.open({ trigger_id: triggerId, view });
    },
    async respond(responseUrl, text) {
      let url: URL;
      try {
        url = new URL(responseUrl);
      } catch (err) {
        throw new SlackResponseUrlError('response_url is not a URL', { cause: err });
      }
      if (!origins.includes(url.origin)) throw new SlackResponseUrlError(`response_url is not under ${origins.join(' or ')}`);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new SlackResponseError(`response_url answered ${response.status}`);
    },
    async dmChannel(userId) {
      const result = await web.conversations.open({ users: userId });
      if (!result.channel?.id) throw new SlackResponseError('conversations.open answered without a channel id');
      return result.channel.id;
    },
  };
}
