/**
 * Rate-limit windows are aligned to the wall clock (Cloudflare's, and Miniflare's: the bucket is
 * floor(now / period)), so a run of calls that straddles a boundary starts a fresh count halfway.
 * A test that counts calls first waits, when the current window has less than `needMs` left,
 * for the next one to begin: its count then never depends on when it ran.
 */
export async function freshRateWindow(periodSeconds: number, needMs = 5_000): Promise<void> {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
