#!/usr/bin/env bash
# Adoption start time: a database made by the original DDL with N users and N streams
# (written as an older service would), then `node dist/src/main.js` until /health/ready is 200.
# Usage: bash bench/adoption.sh [N] [server URL without database]   (defaults: 100000, postgres://postgres@127.0.0.1:5432)
set -euo pipefail
N=${1:-100000}
SERVER=${2:-postgres://postgres@127.0.0.1:5432}
DB=adoption_bench_$$
cd "$(dirname "$0")/.."
[ -f dist/src/main.js ] || npm run build >/dev/null
psql -q "$SERVER/postgres" -c "CREATE DATABASE $DB"
trap 'psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
psql -q -v ON_ERROR_STOP=1 "$SERVER/$DB" -f test/fixtures/original-schema.sql
psql -q -v ON_ERROR_STOP=1 "$SERVER/$DB" <<SQL
INSERT INTO users (username, email, password)
  SELECT 'user_' || i, 'User' || i || '@Example.com', '\$2y\$10\$' || repeat('a', 53) FROM generate_series(1, $N) i;
INSERT INTO streams (user_id, stream_key, status, expires_at)
  SELECT i, 'live_' || md5(i::text), 'active', now() + interval '1 day' FROM generate_series(1, $N) i;
ANALYZE;
SQL
PORT=$((20000 + RANDOM % 20000))
start=$(date +%s.%N)
NODE_ENV=test LOG_LEVEL=warn PORT=$PORT HOST=127.0.0.1 DATABASE_URL="$SERVER/$DB" JWT_SECRET=$(openssl rand -hex 32) INGEST_SECRET=$(openssl rand -hex 32) \
  node dist/src/main.js > /tmp/adoption-bench.log 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null; do
  kill -0 $pid 2>/dev/null || { cat /tmp/adoption-bench.log; exit 1; }
  sleep 0.05
done
end=$(date +%s.%N)
kill -TERM $pid; wait $pid || true
echo "adoption of $N users + $N streams: $(echo "$end - $start" | bc) s from start to /health/ready 200"
psql -qtA "$SERVER/$DB" -c "SELECT count(*) || ' migrations applied' FROM migrations"
# The same start again, nothing left to migrate: the part of the above that is not adoption.
PORT=$((20000 + RANDOM % 20000))
start=$(date +%s.%N)
NODE_ENV=test LOG_LEVEL=warn PORT=$PORT HOST=127.0.0.1 DATABASE_URL="$SERVER/$DB" JWT_SECRET=$(openssl rand -hex 32) INGEST_SECRET=$(openssl rand -hex 32) \
  node dist/src/main.js > /tmp/adoption-bench.log 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null; do sleep 0.05; done
end=$(date +%s.%N)
kill -TERM $pid; wait $pid || true
echo "second start on the adopted database: $(echo "$end - $start" | bc) s"
