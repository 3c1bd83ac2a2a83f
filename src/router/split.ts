/**
 * Splits a reply into parts that fit one chat message, preferring paragraph breaks, then line
 * breaks, then spaces, and only cutting inside a word when a single word is longer than the limit.
 */
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

export function splitMessage(text: string, max: number): string[] {
  if (max <= 0) throw new Error('max must be positive');
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    let cut = window.lastIndexOf('\n\n');
    let skip = 2;
    if (cut <= 0) {
      cut = window.lastIndexOf('\n');
      skip = 1;
    }
    if (cut <= 0) {
      cut = window.lastIndexOf(' ');
      skip = 1;
    }
    if (cut <= 0 || cut > max) {
      cut = max;
      skip = 0;
      // Never leave half of a surrogate pair (an emoji) at the end of a part.
      if (isHighSurrogate(rest.charCodeAt(cut - 1)) && cut > 1) cut--;
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut + skip).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}
