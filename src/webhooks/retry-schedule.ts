/** The longest wait between two attempts (API.md: "up to an hour"). */
export const MAX_RETRY_DELAY_SECONDS = 3600;

/**
 * Seconds to wait after failed attempt number `attempt` (1 = the first attempt):
 * `base`, then doubling, capped at an hour, each spread ±25 % so endpoints that
 * failed together are not retried in lockstep.
 */
export function retryDelaySeconds(attempt: number, baseSeconds: number, random: () => number = Math.random): number {
  const delay = Math.min(baseSeconds * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_SECONDS);
  return Math.min(delay * (0.75 + 0.5 * random()), MAX_RETRY_DELAY_SECONDS);
}
