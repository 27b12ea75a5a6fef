import bcrypt from 'bcrypt';
import { readBody, send, serve } from './pool.js';

/**
 * The floor of POST /api/v1/auth/login: one bcrypt.compare of the posted password
 * against BENCH_BCRYPT_HASH (made at the app's BCRYPT_COST) on libuv's thread pool
 * (UV_THREADPOOL_SIZE, as the app's), answered over bare node:http. A login cannot
 * be faster than that; wrk drives both with the same connections.
 */
const hash = process.env.BENCH_BCRYPT_HASH ?? '';

serve(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/v1/auth/login') return send(res, 404, { statusCode: 404 });
  const body = JSON.parse(await readBody(req)) as { password?: unknown };
  if (typeof body.password !== 'string') return send(res, 400, { statusCode: 400 });
  if (!(await bcrypt.compare(body.password, hash))) return send(res, 401, { statusCode: 401 });
  return send(res, 200, { ok: true });
});
