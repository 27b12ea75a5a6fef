/**
 * Production secrets that an attacker could guess: a placeholder copied from the
 * examples, or a string with little entropy. Heuristics, tuned so that a random value of
 * 32 characters or more (hex, base64, base64url) never trips them.
 */

/** Values that appear in our examples (secret.example.yaml, README, compose file) or look like one. */
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|placeholder|example|your[-_ ]?secret|<[^>]*>|\$\{|^\$\(|random[-_ ]?bytes|xxxxxx/i;

/** Why `value` is weak, or undefined when it is not. */
export function secretWeakness(value: string): string | undefined {
  if (PLACEHOLDER.test(value)) return 'is a placeholder from the examples';
  const chars = [...value];
  if (estimatedBits(chars) < 64) return 'has too little entropy (too few distinct characters)';
  if (distinctWindows(chars, 3) < 0.75 * (chars.length - 2)) return 'has too little entropy (repeats itself)';
  // Three in four neighbours: at one in two, 17 in a million random 32-character hex values
  // (`openssl rand -hex 16`) were refused, and the config test flaked; none in 2 million now.
  if (smallSteps(chars) > 0.75 * (chars.length - 1)) return 'has too little entropy (a run such as abcdef or 123456)';
  return undefined;
}

/** Length × the Shannon entropy of its character frequencies: low when few characters repeat a lot. */
function estimatedBits(chars: string[]): number {
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** How many different `size`-character windows the value has ("password" four times has 8). */
function distinctWindows(chars: string[], size: number): number {
  const windows = new Set<string>();
  for (let i = 0; i + size <= chars.length; i++) windows.add(chars.slice(i, i + size).join(''));
  return windows.size;
}

/** Neighbours whose code points differ by at most one ("aa", "ab", "21"). */
function smallSteps(chars: string[]): number {
  let steps = 0;
  for (let i = 1; i < chars.length; i++) {
    if (Math.abs(chars[i].codePointAt(0)! - chars[i - 1].codePointAt(0)!) <= 1) steps++;
  }
  return steps;
}
