/**
 * `run` now, unless it ran less than `windowMs` ago: then once when that window ends, for
 * every call made in it. The first call after a quiet spell is never delayed.
 */
export interface Coalesced {
  (): void;
  /** Drops a run still held back (shutdown). */
  cancel(): void;
}

export function coalesce(run: () => void, windowMs: number): Coalesced {
  let last = -Infinity;
  let held: NodeJS.Timeout | undefined;
  const fire = () => {
    held = undefined;
    last = Date.now();
    run();
  };
  const call = () => {
    if (held) return;
    const wait = last + windowMs - Date.now();
    if (wait <= 0) return fire();
    held = setTimeout(fire, wait);
  };
  return Object.assign(call, { cancel: () => clearTimeout(held) });
}
