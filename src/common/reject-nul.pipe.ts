import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/**
 * PostgreSQL cannot store U+0000 in text (error 22021); refuse it at the edge with a
 * 400 for every body, query and route parameter instead of failing deep inside.
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
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((item) => containsNul(item, depth + 1));
  return Object.entries(value as Record<string, unknown>).some(
    ([key, item]) => key.includes('\u0000') || containsNul(item, depth + 1),
  );
}
