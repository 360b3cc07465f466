import { skeleton } from '../../../src/evidence/confusables';
import { REDACTED, secretScrubber } from '../../../src/evidence/redaction';

const SECRET = 'PHOTOCASE-4111-7342';

describe('skeleton', () => {
  it('folds Cyrillic and Greek look-alikes, fullwidth forms, case, and invisible characters and separators', () => {
    expect(skeleton('РНОТОСАЅЕ')).toBe(skeleton('photocase'));
    expect(skeleton('ΡΗΟΤΟ')).toBe(skeleton('PHOTO'));
    expect(skeleton('４１１１')).toBe(skeleton('4111'));
    expect(skeleton('4\u200B1\u202E1\u20661 \u00AD-.')).toBe(skeleton('4111'));
    expect(skeleton('I1l|')).toBe(skeleton('llll'));
  });
});

describe('secretScrubber', () => {
  const scrub = secretScrubber([SECRET]);

  it('masks the value however it is disguised, and keeps the text around it', () => {
    const disguised = [
      SECRET,
      'PHOTO\u200BCASE-4111-7342',
      'РНОТО\u200BСАЅЕ-4111-7342',
      'photocase 4111 7342',
      'PHOTO\u202ECASE\u202C-4111\u2066-7342',
      'ＰＨＯＴＯＣＡＳＥ－４１１１－７３４２',
      'PHOTOCASE-\n4111-7342',
      'P\u0301HOTOCASE-4111-7342',
    ];
    for (const text of disguised) {
      expect(scrub(`card ${text} please`)).toBe(`card ${REDACTED} please`);
    }
  });

  it('masks every repetition and leaves other text alone', () => {
    expect(scrub(`${SECRET} and ${SECRET.toLowerCase()}; PHOTOCASE alone`)).toBe(`${REDACTED} and ${REDACTED}; PHOTOCASE alone`);
    expect(scrub('Zürich — 東京 👍')).toBe('Zürich — 東京 👍');
  });

  it('ignores values too short to mask safely, and nested values up to five levels', () => {
    expect(secretScrubber(['12', 7])('12 7 127')).toBe('12 7 127');
    expect(secretScrubber([{ a: { b: 'nested-token' } }])('x nested token y')).toBe(`x ${REDACTED} y`);
  });

  it('scrubs a 1 MB text with the value at its end in under two seconds', () => {
    const big = `${'a'.repeat(1_000_000)} РНОТО\u200BСАЅЕ-4111-7342`;
    const started = Date.now();
    const out = scrub(big);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(out.endsWith(` ${REDACTED}`)).toBe(true);
  });
});
