import { Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from './database-errors.js';

const logger = new Logger('Database');

/**
 * Startup only: an unreachable primary is retried with backoff (logged at warn, since
 * production runs at LOG_LEVEL=warn), then startup fails with a message naming it.
 */
export async function connectWithRetry<T>(target: string, connect: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      const reason = (error as Error).message;
      if (attempt >= attempts) {
        throw new Error(`Database ${target} is unreachable after ${attempts} attempts (${reason}); giving up`, { cause: error });
      }
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 8000);
      logger.warn(`Database ${target} is not reachable (${reason}); attempt ${attempt}/${attempts}, retrying in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
