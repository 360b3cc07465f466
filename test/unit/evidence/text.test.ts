import { cleanText, escapeHtml, oneLine, stripInvisible, truncate, TRUNCATION_MARK } from '../../../src/evidence/text';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});

describe('stripInvisible', () => {
  it('removes bidi controls and zero-width characters', () => {
    const hidden = [
      '\u200B',
      '\u200C',
      '\u200D',
      '\u200E',
      '\u200F',
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\uFEFF',
    ];
    expect(stripInvisible(`a${hidden.join('')}b`)).toBe('ab');
  });

  it('keeps ordinary non-ASCII text', () => {
    expect(stripInvisible('Zürich — 東京 👍')).toBe('Zürich — 東京 👍');
  });
});

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('hello', 5)).toBe('hello');
  });

  it('cuts to the limit and marks the cut', () => {
    const cut = truncate('x'.repeat(100), 20);
    expect(Array.from(cut)).toHaveLength(20);
    expect(cut.endsWith(TRUNCATION_MARK)).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const cut = truncate('👍'.repeat(30), 10);
    expect(cut).toBe('👍'.repeat(10 - Array.from(TRUNCATION_MARK).length) + TRUNCATION_MARK);
  });
});

describe('cleanText and oneLine', () => {
  it('drops control characters but keeps line breaks and tabs in multi-line text', () => {
    expect(cleanText('a\u001b[31mb\r\nc\td\u0007', 100)).toBe('a[31mb\nc\td');
  });

  it('turns every kind of line break into a space in one-line text', () => {
    expect(oneLine('a\r\nb\nc\u2028d\u0085e\u2029f', 100)).toBe('a b c d e f');
  });
});
