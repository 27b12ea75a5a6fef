import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** No request of this API nests deeper; class-transformer recurses without limit and overflows the stack. */
const MAX_DEPTH = 32;

/**
 * PostgreSQL cannot store U+0000 in text (error 22021); refuse it at the edge with a
 * 400 for every body, query and route parameter instead of failing deep inside.
 * Runs before the ValidationPipe, so it also refuses absurdly nested input (a 30 KB
 * body of nested arrays would otherwise be a stack overflow, i.e. a 500).
 */
@Injectable()
export class RejectNulPipe implements PipeTransform {
  transform<T>(value: T): T {
    if (containsNul(value, 0)) throw new BadRequestException('NUL characters are not allowed in input');
    return value;
  }
}

function containsNul(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_DEPTH) throw new BadRequestException('input is nested too deeply');
  if (Array.isArray(value)) return value.some((item) => containsNul(item, depth + 1));
  return Object.entries(value as Record<string, unknown>).some(([key, item]) => key.includes('\u0000') || containsNul(item, depth + 1));
}
