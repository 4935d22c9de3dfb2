/** "Did you mean …": the known words closest to a mistyped one. */

/** Levenshtein distance (insertions, deletions, substitutions), over UTF-16 units. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The candidates nearest to `word`, when near enough to be a typo of it: at most 40 % of its
 * length apart (at least 1), as commander judges a mistyped option. Ties are all returned, in order.
 */
export function closestWords(word: string, candidates: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length * 0.4));
  let best = Number.POSITIVE_INFINITY;
  let found: string[] = [];
  for (const candidate of new Set(candidates)) {
    const distance = editDistance(word, candidate);
    if (distance > limit || distance > best) continue;
    if (distance < best) found = [];
    best = distance;
    found.push(candidate);
  }
  return found;
}

/** `acme` or `acme or acne`, for a "did you mean" line. */
export function orList(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** `Did you mean acme? ` when a candidate is near `word`, else the empty string (to prefix a hint). */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const found = closestWords(word, candidates);
  return found.length === 0 ? '' : `Did you mean ${orList(found)}? `;
}
