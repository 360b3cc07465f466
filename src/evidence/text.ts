/**
 * Making untrusted text safe to show. Agents write summaries, rationales and previews, reviewers
 * write comments, and a compromised agent writes to fool the reviewer, so every piece of it goes
 * through here before it reaches a mail, a page, the JSON API or an operator's terminal. The one
 * place these rules live: the mail, the HTTP views and the CLI all import them from here.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `& < > " '`: safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * Bidi controls reorder what the reviewer reads ("Trojan Source"): `refund 10` can display as
 * something else entirely. Zero-width characters hide text and defeat look-alike checks.
 * U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF as required, plus the characters that are
 * invisible in the same way: soft hyphen (U+00AD), Arabic letter mark (U+061C), Hangul fillers
 * (U+115F, U+1160, U+3164, U+FFA0), Khmer inherent vowels (U+17B4, U+17B5), Mongolian free
 * variation selectors and vowel separator (U+180B–U+180F), word joiner, invisible operators and
 * deprecated format controls (U+2060–U+2064, U+206A–U+206F), and the tag characters
 * (U+E0000–U+E007F), which can carry a whole hidden text.
 */
const INVISIBLE =
  // The class lists combining marks (variation selectors) one by one on purpose: each is stripped alone.
  // eslint-disable-next-line no-misleading-character-class
  /[\u00AD\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0]|\uDB40[\uDC00-\uDC7F]/g;

/** Removes bidi-control and zero-width characters. */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/**
 * C0 and C1 control characters other than tab and line feed: terminal escape sequences in the
 * text part, and characters mail clients render unpredictably.
 */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/** Removes control characters, keeping tab and line feed; CR LF and lone CR become LF. */
export function stripControl(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL, '');
}

/** Appended to text cut by {@link truncate}. */
export const TRUNCATION_MARK = '… [cut]';

/**
 * Cuts text to at most `max` characters (code points, so an emoji is never split into a broken
 * surrogate), marking the cut with {@link TRUNCATION_MARK}.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const codePoints = Array.from(text);
  if (codePoints.length <= max) return text;
  const keep = Math.max(0, max - Array.from(TRUNCATION_MARK).length);
  return codePoints.slice(0, keep).join('') + TRUNCATION_MARK;
}

/** Untrusted multi-line text, cleaned and capped: the form it takes in a mail or on a page. */
export function cleanText(text: string, max: number): string {
  return truncate(stripControl(stripInvisible(text)), max);
}

/**
 * Untrusted text for a single line, such as a mail subject: every line break (including U+2028,
 * U+2029 and NEL) and control character becomes a space, so nothing can start a new header.
 */
export function oneLine(text: string, max: number): string {
  const flat = stripInvisible(text)
    .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return truncate(flat, max);
}

/**
 * Agent or reviewer text for an operator's terminal (`gatehouse show`, `gatehouse audit`): one
 * line, so a comment cannot forge a line of the output, and no control character, so an escape
 * sequence prints as inert text instead of moving the cursor, recolouring or retitling the
 * terminal. The same cleaning the mail and the page apply.
 */
export function terminalLine(text: string, max = 2_000): string {
  return oneLine(text, max);
}

/**
 * JSON for a terminal. `JSON.stringify` escapes C0 controls but leaves C1 controls (U+009B is a
 * one-character CSI to many terminals), line separators and bidi/zero-width characters raw; here
 * they become `\u` escapes too. Inside JSON they can only occur in strings, so the JSON still
 * parses to the same value.
 */
export function terminalJson(value: unknown, indent = 2): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(TERMINAL_UNSAFE, (ch) =>
    ch.length === 2
      ? `\\u${ch.charCodeAt(0).toString(16)}\\u${ch.charCodeAt(1).toString(16)}`
      : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

// eslint-disable-next-line no-misleading-character-class -- built from INVISIBLE above
const TERMINAL_UNSAFE = new RegExp(`[\\u007F-\\u009F\\u2028\\u2029]|${INVISIBLE.source}`, 'g');
