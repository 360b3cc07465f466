/**
 * Test helpers for the decision service: the real app on a real port against the harness's
 * Temporal, plus small HTTP helpers that act like a browser (keep the CSRF cookie, send the form).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApprovalState } from '../../src/domain/state';
import { createApp, type AppDeps } from '../../src/http/app';
import { CSRF_COOKIE } from '../../src/http/csrf';
import { createLogger } from '../../src/observability/logger';
import { issueLinkToken } from '../../src/links/link-issuer';
import { newNonce, signLinkToken, type LinkClaims } from '../../src/links/token';
import type { LinkKeyring } from '../../src/links/keyring';
import { getStateQuery } from '../../workflows/messages';
import { eventually, type Harness } from '../support/harness';
import { linkTokens, readInbox } from '../support/inbox';

export interface RunningService {
  /** Where the service listens, e.g. `http://127.0.0.1:40123`; also its public URL. */
  url: string;
  csrfSecret: Buffer;
  close(): Promise<void>;
}

/**
 * Starts the app on a free loopback port. The server listens first so the app can be built with
 * its real public URL: the Origin check and the form action must name the address browsers use.
 */
export async function startService(h: Harness, overrides: Partial<AppDeps> = {}): Promise<RunningService> {
  const server: Server = createServer();
  // A backlog above Node's default 511, so a burst of a thousand connections is queued, not reset.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const csrfSecret = randomBytes(32);
  const app = createApp({
    client: h.client,
    linkKeyring: h.linkKeyring,
    signer: h.signer,
    logger: createLogger({ level: 'silent' }),
    publicUrl: url,
    csrfSecret,
    rateLimit: false,
    ...overrides,
  });
  server.on('request', app);
  return {
    url,
    csrfSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Proposes and waits until the run awaits approval. */
export async function awaitingRun(h: Harness, actionType: string, overrides: Parameters<Harness['proposal']>[1] = {}): Promise<string> {
  const run = await h.gatehouse.propose(h.proposal(actionType, overrides));
  await eventually(
    async () => ((await stateOf(h, run.workflowId)).status === 'awaiting_approval' ? true : undefined),
    20_000,
    'awaiting_approval',
  );
  return run.workflowId;
}

export function stateOf(h: Harness, workflowId: string): Promise<ApprovalState> {
  return h.client.workflow.getHandle(workflowId).query(getStateQuery);
}

/**
 * A link token as the worker would mail it, with its grant; any claim can be overridden to forge
 * variants. A bare keyring signs a link without a grant (as an attacker holding only the link keys).
 */
export function signLink(
  issuer: Pick<Harness, 'linkKeyring' | 'grantSigner'> | LinkKeyring,
  claims: Partial<LinkClaims> & Pick<LinkClaims, 'wf'>,
): string {
  const full = { round: 1, sub: 'alice', role: 'approver', exp: Math.floor(Date.now() / 1000) + 3600, nonce: newNonce(), ...claims };
  return 'grantSigner' in issuer
    ? issueLinkToken(full, { keyring: issuer.linkKeyring, grantSigner: issuer.grantSigner })
    : signLinkToken(full, issuer);
}

/** The link token mailed to `email` for the mail whose text contains `marker`. */
export async function tokenFromInbox(h: Harness, email: string, marker: string): Promise<string> {
  return eventually(
    async () => {
      const mails = await readInbox(h.inbox.apiBaseUrl);
      const mail = mails.find((m) => m.to.includes(email) && m.text.includes(marker));
      return mail ? linkTokens(mail)[0] : undefined;
    },
    20_000,
    `a mail to ${email}`,
  );
}

/** What a browser keeps from the decision page: its HTML, the CSRF cookie and the form's fields. */
export interface LoadedPage {
  status: number;
  headers: Headers;
  html: string;
  /** `gatehouse_csrf=<value>` to send back, when the page set one. */
  cookie?: string;
  csrf?: string;
  paramsHash?: string;
}

export async function getPage(url: string): Promise<LoadedPage> {
  const response = await fetch(url, { redirect: 'manual' });
  const html = await response.text();
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const paramsHash = /name="paramsHash" value="([^"]+)"/.exec(html)?.[1];
  return {
    status: response.status,
    headers: response.headers,
    html,
    ...(setCookie ? { cookie: setCookie.split(';')[0] } : {}),
    ...(csrf ? { csrf } : {}),
    ...(paramsHash ? { paramsHash } : {}),
  };
}

export interface PostResult {
  status: number;
  headers: Headers;
  body: string;
}

/** POSTs the decision form as the page's browser would (same-origin fetch metadata). */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  cookie: string | undefined,
  headers: Record<string, string> = {},
): Promise<PostResult> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      ...(cookie ? { cookie } : {}),
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<PostResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}
