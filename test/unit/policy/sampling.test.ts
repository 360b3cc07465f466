import { createHash } from 'node:crypto';
import { parseConfig, ConfigError } from '../../../src/config/env';
import { generateSamplingKeySpec, parseSamplingKey, samplingDraw, SamplingKeyError } from '../../../src/policy/sampling';

/** The draw before it was keyed: anyone could compute it from the workflow id. */
const unkeyedDraw = (workflowId: string): number =>
  parseInt(createHash('sha256').update(`gatehouse-sample:${workflowId}`).digest('hex').slice(0, 8), 16) / 0x1_0000_0000;

/** A fixed key, so the counts below are the same on every run. */
const KNOWN_KEY = parseSamplingKey(`k1:${createHash('sha256').update('a known test key').digest('base64url')}`);

/** Ids an agent would choose against the unkeyed draw: none of them is ever reviewed at `rate`. */
function idsNeverSampledUnkeyed(count: number, rate: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    const id = `payment.refund:agent-chosen-${i}`;
    if (unkeyedDraw(id) >= rate) ids.push(id);
  }
  return ids;
}

describe('keyed sampling draw', () => {
  it('samples ids the unkeyed draw never sampled at about the configured rate', () => {
    const ids = idsNeverSampledUnkeyed(4_000, 0.1);
    expect(ids.filter((id) => unkeyedDraw(id) < 0.1)).toEqual([]);
    const picked = ids.filter((id) => samplingDraw(id, KNOWN_KEY) < 0.1).length;
    // 10 % of 4000 is 400; the bounds are about five standard deviations wide.
    expect(picked).toBeGreaterThan(300);
    expect(picked).toBeLessThan(500);
  });

  it('is the same for the same id and key, so a retried evaluation picks the same way', () => {
    const draws = Array.from({ length: 3 }, () => samplingDraw('test.sampled:p-1', KNOWN_KEY));
    expect(new Set(draws).size).toBe(1);
    expect(draws[0]).toBeGreaterThanOrEqual(0);
    expect(draws[0]).toBeLessThan(1);
  });

  it('picks differently under another key: without the key the picks cannot be predicted', () => {
    const other = parseSamplingKey(generateSamplingKeySpec('k2'));
    const ids = Array.from({ length: 1_000 }, (_, i) => `ticket.update:t-${i}`);
    const disagreements = ids.filter((id) => samplingDraw(id, KNOWN_KEY) < 0.5 !== samplingDraw(id, other) < 0.5).length;
    // Independent draws at rate 0.5 disagree on about half the ids.
    expect(disagreements).toBeGreaterThan(400);
    expect(disagreements).toBeLessThan(600);
  });
});

describe('sampling key', () => {
  it('reads kid:secret as gatehouse keys prints it', () => {
    const spec = generateSamplingKeySpec();
    expect(parseSamplingKey(spec)).toMatchObject({ id: 's1' });
    expect(parseSamplingKey(spec).secret).toHaveLength(32);
  });

  it.each([
    ['no key id', 'c2VjcmV0', /expected "kid:secret"/],
    ['a bad key id', `bad id:${'A'.repeat(43)}`, /key id must be/],
    ['a secret that is not base64url', 's1:not+base64/url==', /not unpadded base64url/],
    ['a short secret', 's1:c2hvcnQ', /has 5 bytes; at least 32/],
  ])('refuses %s without repeating the secret', (_what, spec, message) => {
    let error: unknown;
    try {
      parseSamplingKey(spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SamplingKeyError);
    expect((error as Error).message).toMatch(message);
    const secret = spec.slice(spec.indexOf(':') + 1);
    if (secret.length > 4) expect((error as Error).message).not.toContain(secret);
  });

  it('is required in production mode', () => {
    let error: unknown;
    try {
      parseConfig({ GATEHOUSE_MODE: 'production' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toContain('GATEHOUSE_SAMPLING_KEY: is required in production mode');
  });
});
