import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuSeconds, type Server } from './processes.js';

/** One wrk run, plus the server's CPU over it. */
export interface Run {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** wrk's status errors (any answer > 399; our routes never answer 3xx) plus socket errors. */
  errors: number;
  /** The server process's user + system CPU per request, microseconds. */
  cpuUsPerRequest: number;
}

/**
 * wrk's summary as one JSON line (summary.errors.status counts answers with a status
 * above 399). Appended to every script; scripts without `request` cost wrk no Lua per request.
 */
const DONE_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** Lua that URL-encodes a string (for `?secret=`). */
export const LUA_URLENCODE = `
local function urlencode(s) return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end)) end
`;

/** Lua that loads the lines of the file named by env `var` into the table `name`. */
export const luaLines = (name: string, envVar: string) => `
local ${name} = {}
for line in io.lines(os.getenv("${envVar}")) do ${name}[#${name} + 1] = line end
`;

export function assertWrk(): void {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install -y wrk)');
}

export class Wrk {
  constructor(private readonly dir: string) {}

  /** Writes a Lua script (the summary function appended) and returns its path. */
  async script(name: string, lua: string): Promise<string> {
    const path = join(this.dir, `${name}.lua`);
    await writeFile(path, `${lua}\n${DONE_LUA}`);
    return path;
  }

  /** One run of `seconds` against `server` with `connections` (one wrk thread), measuring the server's CPU. */
  async run(
    server: Server,
    options: { script: string; connections: number; seconds: number; env?: NodeJS.ProcessEnv; path?: string },
  ): Promise<Run> {
    const cpuBefore = await cpuSeconds(server.pid);
    const raw = await runWrk(
      `${server.url}${options.path ?? '/'}`,
      options.connections,
      options.seconds,
      options.script,
      options.env ?? {},
    );
    const cpu = (await cpuSeconds(server.pid)) - cpuBefore;
    const seconds = raw.duration_us / 1e6;
    return {
      requests: raw.requests,
      seconds,
      rps: raw.requests / seconds,
      p50Ms: raw.p50_us / 1000,
      p99Ms: raw.p99_us / 1000,
      errors: raw.status_errors + raw.socket_errors,
      cpuUsPerRequest: raw.requests > 0 ? (cpu * 1e6) / raw.requests : NaN,
    };
  }
}

interface RawWrk {
  requests: number;
  duration_us: number;
  status_errors: number;
  socket_errors: number;
  p50_us: number;
  p99_us: number;
}

function runWrk(url: string, connections: number, seconds: number, script: string, env: NodeJS.ProcessEnv): Promise<RawWrk> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url], {
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}): ${out}`));
      resolvePromise(JSON.parse(line.slice(6)) as RawWrk);
    });
  });
}
