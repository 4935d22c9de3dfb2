/** What a blanked secret reads as. */
export const REDACTED = '[redacted]';

/** Values at least this long are blanked wherever they appear whole; shorter ones are words and numbers of ordinary text. */
export const MIN_WHOLE = 6;

/**
 * Any run of this many characters of a secret is blanked on its own, wherever it appears: a worker
 * may echo a prefix of a key, and a cut (a report that shortens a body) leaves a piece of one.
 */
export const MIN_PIECE = 8;

/**
 * Blanks secrets out of text meant for people and machines (reports, --json, logs). First every
 * whole value (longest first, so a value containing another goes whole), then every remaining piece
 * of MIN_PIECE or more characters of any value: no substring of a secret that long survives. Text
 * that will be shortened must be redacted before it is cut — a cut can only make a whole value into
 * a piece — and once more after, which then finds nothing. A secret that shares a run of MIN_PIECE
 * characters with ordinary text (a URL's `https://`) blanks that run too: the price of the rule.
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const whole = [...new Set(secrets)].filter((secret) => secret.length >= MIN_WHOLE).sort((a, b) => b.length - a.length);
  const long = whole.filter((secret) => secret.length >= MIN_PIECE);
  return (text) => {
    let out = text;
    for (const secret of whole) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // A blank written next to text could in principle complete a piece of a secret (one containing "[redacted"); look again until nothing changes.
    for (let pass = 0; pass < 3; pass++) {
      const next = blankPieces(out, long);
      if (next === out) break;
      out = next;
    }
    return out;
  };
}

/**
 * Replaces every maximal run of `text` covered by MIN_PIECE-character windows that occur in a
 * secret with one REDACTED. Indexes the text's windows (the text is the short side), then walks
 * each secret's windows once: linear in the text plus the secrets.
 */
function blankPieces(text: string, secrets: readonly string[]): string {
  if (text.length < MIN_PIECE || secrets.length === 0) return text;
  const starts = new Map<string, number[]>();
  for (let i = 0; i + MIN_PIECE <= text.length; i++) {
    const window = text.slice(i, i + MIN_PIECE);
    const list = starts.get(window);
    if (list) list.push(i);
    else starts.set(window, [i]);
  }
  const covered = new Uint8Array(text.length);
  let found = false;
  for (const secret of secrets) {
    for (let j = 0; j + MIN_PIECE <= secret.length; j++) {
      const hits = starts.get(secret.slice(j, j + MIN_PIECE));
      if (!hits) continue;
      found = true;
      for (const i of hits) covered.fill(1, i, i + MIN_PIECE);
    }
  }
  if (!found) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (covered[i] === 0) out += text[i];
    else if (i === 0 || covered[i - 1] === 0) out += REDACTED;
  }
  return out;
}
