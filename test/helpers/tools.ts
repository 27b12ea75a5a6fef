import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PG_BIN } from './pg-cluster.js';

/** Where a tool lives: on PATH, in /usr/sbin (pgbouncer, nginx) or among PostgreSQL's binaries. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', PG_BIN];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Suites that need Debian packages (PostgreSQL server binaries, pgbouncer) run whenever
 * the tools exist. Without them the suite shows up as one clearly named test that says
 * what to install; it fails when REQUIRE_TOOLS=1 (set by .ci/run, which installs them).
 */
export function describeWithTools(title: string, tools: string[], body: () => void): void {
  // A tool is a command name, or an absolute path to a file that must exist (e.g. an nginx module).
  const missing = tools.filter((tool) => (tool.startsWith('/') ? !existsSync(tool) : !findTool(tool)));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  describe(title, () => {
    it(`NOT RUN: missing ${missing.join(', ')} (see .ci/run for the Debian packages)`, () => {
      if (process.env.REQUIRE_TOOLS === '1') throw new Error(`REQUIRE_TOOLS=1 but ${missing.join(', ')} not found`);
      console.warn(`[${title}] NOT RUN: missing ${missing.join(', ')}`);
    });
  });
}
