import { cleanText } from './escape';
import { REDACTED } from '../policy/field-path';

/**
 * Masks the values the policy redacts wherever they are repeated (a card number the agent copied
 * into a note or a preview), for mails and pages alike. Strings and numbers of 4+ characters
 * only, so a redacted `1` does not mask every digit.
 */
export function secretScrubber(values: unknown[]): (text: string) => string {
  const secrets = new Set<string>();
  const collect = (value: unknown, depth: number): void => {
    if (typeof value === 'string' || typeof value === 'number') {
      // Cleaned for the page's cleaned text, raw for the editor's exact values.
      for (const text of [cleanText(String(value), Infinity).trim(), String(value).trim()]) {
        if (text.length >= 4 && text !== REDACTED) secrets.add(text);
      }
    } else if (value !== null && typeof value === 'object' && depth < 5) {
      Object.values(value).forEach((v) => collect(v, depth + 1));
    }
  };
  values.forEach((v) => collect(v, 0));
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((acc, secret) => acc.split(secret).join(REDACTED), text);
}
