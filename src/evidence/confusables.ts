/**
 * Look-alike folding, for recognising a redacted value the agent repeated in disguise.
 *
 * A compromised agent that wants a reviewer (or a mail archive) to see a redacted card number or
 * token can write it with a zero-width space inside, with a Cyrillic `А` for the Latin `A`, in
 * fullwidth digits, with spaces or dashes between the groups. Plain substring search misses all of
 * these. Each code point is folded to a skeleton, in the manner of Unicode TS #39's confusable
 * skeletons: compatibility decomposition (fullwidth, mathematical and circled forms become plain
 * letters and digits), combining marks dropped, the common Cyrillic and Greek look-alikes of Latin
 * letters mapped to them, case folded, `0`/`O` and `1`/`l`/`I`/`|` made one; characters that do
 * not show (invisible, control, whitespace, dashes, dots, underscores) fold to nothing. Two texts
 * with the same skeleton read the same to a person.
 *
 * Only for matching: what is shown is never folded (a reviewer's Cyrillic name stays Cyrillic).
 */

/** Cyrillic and Greek letters that look like Latin ones (a subset of UTS #39 confusables.txt). */
const LOOK_ALIKES: Record<string, string> = {
  // Cyrillic capitals
  А: 'a',
  В: 'b',
  С: 'c',
  Е: 'e',
  Н: 'h',
  І: 'i',
  Ј: 'j',
  К: 'k',
  М: 'm',
  О: 'o',
  Р: 'p',
  Ѕ: 's',
  Т: 't',
  Х: 'x',
  У: 'y',
  Ү: 'y',
  З: '3',
  Ь: 'b',
  Ԛ: 'q',
  Ԝ: 'w',
  Ӏ: 'l',
  // Cyrillic small
  а: 'a',
  с: 'c',
  е: 'e',
  һ: 'h',
  і: 'i',
  ј: 'j',
  о: 'o',
  р: 'p',
  ѕ: 's',
  х: 'x',
  у: 'y',
  ү: 'y',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  ɡ: 'g',
  б: '6',
  в: 'b',
  к: 'k',
  м: 'm',
  н: 'h',
  т: 't',
  г: 'r',
  п: 'n',
  // Greek capitals
  Α: 'a',
  Β: 'b',
  Ε: 'e',
  Ζ: 'z',
  Η: 'h',
  Ι: 'i',
  Κ: 'k',
  Μ: 'm',
  Ν: 'n',
  Ο: 'o',
  Ρ: 'p',
  Τ: 't',
  Υ: 'y',
  Χ: 'x',
  // Greek small
  α: 'a',
  ο: 'o',
  ρ: 'p',
  ν: 'v',
  υ: 'u',
  ι: 'i',
  κ: 'k',
  χ: 'x',
  τ: 't',
  ε: 'e',
  γ: 'y',
};

/** After case folding: characters people cannot tell apart in most fonts. */
const SAME_SHAPE: Record<string, string> = { '0': 'o', '1': 'l', i: 'l', '|': 'l' };

/** Folds to nothing: shows as nothing, or as a separator a person reads past. */
const IGNORED = /^[\p{Cc}\p{Cf}\p{Z}\s\p{Pd}._\u115F\u1160\u2800\u3164\uFFA0]$/u;
const MARK = /\p{M}/gu;

function foldChar(ch: string): string {
  const lower = (LOOK_ALIKES[ch] ?? ch).toLowerCase();
  return SAME_SHAPE[lower] ?? lower;
}

function computeSkeleton(codePoint: string): string {
  if (IGNORED.test(codePoint)) return '';
  const code = codePoint.codePointAt(0)!;
  if (code < 0x80) return foldChar(codePoint);
  let out = '';
  for (const ch of codePoint.normalize('NFKD').replace(MARK, '')) {
    if (!IGNORED.test(ch)) out += foldChar(ch);
  }
  return out;
}

/** Skeletons of the code points seen so far: agent text repeats few distinct characters. */
const cache = new Map<string, string>();

/** The skeleton of one code point: `''` for characters that fold to nothing. */
export function skeletonOf(codePoint: string): string {
  let skeleton = cache.get(codePoint);
  if (skeleton === undefined) {
    skeleton = computeSkeleton(codePoint);
    if (cache.size < 10_000) cache.set(codePoint, skeleton);
  }
  return skeleton;
}

/** The skeleton of a whole text. */
export function skeleton(text: string): string {
  let out = '';
  for (const cp of text) out += skeletonOf(cp);
  return out;
}

/**
 * The skeleton of a text with, for every skeleton character, the UTF-16 range of the code point
 * it came from, so a match in the skeleton can be masked in the original text.
 */
export function skeletonWithOffsets(text: string): { skeleton: string; from: Uint32Array; to: Uint32Array } {
  // A code point folds to at most a few characters; grow if a rare one folds to more.
  let from = new Uint32Array(text.length + 16);
  let to = new Uint32Array(text.length + 16);
  const parts: string[] = [];
  let n = 0;
  let offset = 0;
  for (const cp of text) {
    const s = skeletonOf(cp);
    if (s !== '') {
      if (n + s.length > from.length) {
        const grow = (a: Uint32Array) => {
          const b = new Uint32Array(a.length * 2 + s.length);
          b.set(a);
          return b;
        };
        from = grow(from);
        to = grow(to);
      }
      for (let i = 0; i < s.length; i++) {
        from[n] = offset;
        to[n] = offset + cp.length;
        n++;
      }
      parts.push(s);
    }
    offset += cp.length;
  }
  return { skeleton: parts.join(''), from: from.subarray(0, n), to: to.subarray(0, n) };
}
