import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The container supply chain as written: pinned bases, no install scripts but bcrypt's. */
describe('Dockerfile', () => {
  const lines = readFileSync('Dockerfile', 'utf8').split('\n');
  const froms = lines.map((line, index) => ({ line, index })).filter(({ line }) => /^FROM\s/i.test(line));

  it('builds every stage on a supported Node.js LTS line, pinned by digest, with the exact tag in the comment above', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const { line, index } of froms) {
      const match = /^FROM node:(\d+)-[\w.-]+@sha256:[0-9a-f]{64}(\s+AS\s+\w+)?$/.exec(line);
      expect({ line, pinned: match !== null }).toEqual({ line, pinned: true });
      const major = Number(match![1]);
      // Even majors become LTS; 20 left support in April 2026.
      expect(major % 2 === 0 && major >= 22).toBe(true);
      expect(lines[index - 1]).toMatch(new RegExp(`^# node:${major}\\.\\d+\\.\\d+-[\\w.-]+$`));
    }
  });

  it('runs no dependency install script except an explicit rebuild of bcrypt, and runs as node', () => {
    const installs = lines.filter((line) => /npm (ci|install)\b/.test(line));
    expect(installs.length).toBeGreaterThan(0);
    for (const line of installs) expect(line).toContain('--ignore-scripts');
    expect(lines.some((line) => /npm rebuild bcrypt\b/.test(line))).toBe(true);
    expect(lines).toContain('USER node');
  });

  it('docker-compose keeps postgres:15-alpine as streamly-postgres with pg_isready every 5 s, volume postgres_data, and the API', () => {
    const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
      services: Record<string, { build?: string; volumes?: string[]; healthcheck: { test: string[] } }>;
    };
    expect(compose.services.postgres).toMatchObject({ image: 'postgres:15-alpine', container_name: 'streamly-postgres' });
    expect(compose.services.postgres.healthcheck).toMatchObject({ interval: '5s' });
    expect(compose.services.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(compose.services.postgres.volumes).toContain('postgres_data:/var/lib/postgresql/data');
    expect(compose.services.api.build).toBe('.');
  });
});
