import { createReplayCache } from '../../src/slack/replay-cache';
import { slackSignature, SlackSignatureError, verifySlackSignature } from '../../src/slack/signature';

// Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const NOW = Number(TIMESTAMP) * 1000 + 10_000;

function failure(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof SlackSignatureError ? err.reason : `other: ${String(err)}`;
  }
}

describe('Slack request signature', () => {
  it('computes and accepts Slack’s documented test vector', () => {
    expect(slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
    expect(
      failure(() => verifySlackSignature(SECRET, { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: Buffer.from(BODY) }, NOW)),
    ).toBeUndefined();
  });

  it('refuses a body with one changed byte', () => {
    const changed = Buffer.from(BODY);
    changed[10] = changed[10]! ^ 1;
    expect(failure(() => verifySlackSignature(SECRET, { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: changed }, NOW))).toBe(
      'mismatch',
    );
  });

  it('refuses a timestamp more than five minutes off, either way', () => {
    const request = { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: Buffer.from(BODY) };
    expect(failure(() => verifySlackSignature(SECRET, request, Number(TIMESTAMP) * 1000 + 301_000))).toBe('stale');
    expect(failure(() => verifySlackSignature(SECRET, request, Number(TIMESTAMP) * 1000 - 301_000))).toBe('stale');
  });

  it('refuses missing and malformed headers, ssl_check included', () => {
    const rawBody = Buffer.from('ssl_check=1&token=x');
    expect(failure(() => verifySlackSignature(SECRET, { timestamp: undefined, signature: undefined, rawBody }, NOW))).toBe('missing');
    expect(failure(() => verifySlackSignature(SECRET, { timestamp: TIMESTAMP, signature: 'v0=abc', rawBody }, NOW))).toBe('malformed');
    expect(failure(() => verifySlackSignature(SECRET, { timestamp: '1e9', signature: SIGNATURE, rawBody }, NOW))).toBe('malformed');
    expect(
      failure(() => verifySlackSignature(SECRET, { timestamp: TIMESTAMP, signature: SIGNATURE.replace('v0', 'v1'), rawBody }, NOW)),
    ).toBe('malformed');
  });

  it('refuses a signature seen before within the window, and forgets it after', () => {
    const cache = createReplayCache({ windowMs: 1_000 });
    cache.admit(SIGNATURE, NOW);
    expect(failure(() => cache.admit(SIGNATURE, NOW + 500))).toBe('replayed');
    expect(failure(() => cache.admit(SIGNATURE, NOW + 1_001))).toBeUndefined();
  });
});
