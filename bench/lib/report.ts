import type { Run } from './wrk.js';

/** One server's runs in one benchmark, summarised. */
export interface Summary {
  rounds: number;
  requests: number;
  /** Mean of the rounds' req/s. */
  rps: number;
  /** Median of the rounds' p50 and p99 (ms). */
  p50Ms: number;
  p99Ms: number;
  /** The worst round's p99 (ms). */
  p99MaxMs: number;
  /** Mean of the rounds' server CPU per request (µs). */
  cpuUsPerRequest: number;
  errors: number;
  errorRate: number;
  perRound: number[];
}

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(runs: Run[]): Summary {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const errors = runs.reduce((a, r) => a + r.errors, 0);
  return {
    rounds: runs.length,
    requests,
    rps: mean(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    p99MaxMs: Math.max(...runs.map((r) => r.p99Ms)),
    cpuUsPerRequest: mean(runs.map((r) => r.cpuUsPerRequest)),
    errors,
    errorRate: requests > 0 ? errors / requests : 1,
    perRound: runs.map((r) => Math.round(r.rps)),
  };
}

/** Non-2xx answers above this share of requests fail a verdict whatever the throughput. */
export const MAX_ERROR_RATE = 0.005;

interface Row {
  benchmark: string;
  server: string;
  summary: Summary;
  /** req/s ÷ the floor's req/s, for the app rows. */
  ratio?: number;
}

export interface Verdict {
  target: string;
  pass: boolean;
  detail: string;
}

/** The table of every benchmark's servers and the verdicts, printed at the end (and kept for the JSON). */
export class Report {
  readonly rows: Row[] = [];
  readonly verdicts: Verdict[] = [];
  readonly notes: string[] = [];
  readonly extra: Record<string, unknown> = {};

  add(benchmark: string, server: string, summary: Summary, ratio?: number): void {
    this.rows.push({ benchmark, server, summary, ratio });
  }

  /** `value` against `target` (≥ or ≤); also fails when any of `errorRates` is above MAX_ERROR_RATE. */
  verdict(target: string, value: number, op: '>=' | '<=', limit: number, unit = '', errorRates: number[] = []): Verdict {
    const withinErrors = errorRates.every((rate) => rate <= MAX_ERROR_RATE);
    const met = Number.isFinite(value) && (op === '>=' ? value >= limit : value <= limit);
    const shown = (v: number) => `${v.toFixed(unit === ' MB' ? 0 : 2)}${unit}`;
    const errorsNote = withinErrors ? '' : ` — errors ${(Math.max(...errorRates) * 100).toFixed(2)}% > ${MAX_ERROR_RATE * 100}%`;
    const verdict = { target, pass: met && withinErrors, detail: `${shown(value)} (target ${op} ${shown(limit)})${errorsNote}` };
    this.verdicts.push(verdict);
    return verdict;
  }

  note(line: string): void {
    this.notes.push(line);
  }

  render(): string {
    const header = ['benchmark', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'ratio', 'errors', 'req/s per round'];
    const lines = this.rows.map((r) => [
      r.benchmark,
      r.server,
      r.summary.rps.toFixed(0),
      r.summary.p50Ms.toFixed(2),
      `${r.summary.p99Ms.toFixed(2)} (max ${r.summary.p99MaxMs.toFixed(1)})`,
      r.summary.cpuUsPerRequest.toFixed(0),
      r.ratio === undefined ? '' : r.ratio.toFixed(2),
      `${r.summary.errors}/${r.summary.requests}`,
      r.summary.perRound.join(' '),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const fmt = (cells: string[]) =>
      `| ${cells.map((c, i) => (i >= 2 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
    const out = [
      fmt(header),
      `|${widths.map((w, i) => (i >= 2 && i <= 7 ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`,
      ...lines.map(fmt),
      '',
      'req/s: mean of the rounds; p50/p99: median of the rounds (max: the worst round); CPU: the server process only',
      '(utime + stime from /proc ÷ requests, PostgreSQL not included); ratio: app req/s ÷ floor req/s (means over rounds).',
      '',
      'Verdicts:',
      ...this.verdicts.map((v) => `  ${v.pass ? 'PASS' : 'FAIL'}  ${v.target}: ${v.detail}`),
    ];
    if (this.notes.length > 0) out.push('', 'Notes:', ...this.notes.map((n) => `  - ${n}`));
    return out.join('\n');
  }
}
