import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';

export const RECONNECT_WINDOW = { min: 0, max: 1800, default: 60 } as const;
export const MAX_CONTINUOUS = { min: 60, max: 86_400, default: 43_200 } as const;

/** An optional integer setting in [min, max]; null is not a value (IsOptional would let it through as "absent"). */
function OptionalIntIn(range: { min: number; max: number; default: number }, description: string) {
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: range.min, maximum: range.max, default: range.default, description }),
    ValidateIf((_, value) => value !== undefined),
    IsInt(),
    Min(range.min),
    Max(range.max),
  );
}

export const ReconnectWindowSeconds = () =>
  OptionalIntIn(
    RECONNECT_WINDOW,
    'After the last publisher leaves, the stream stays live this long; a publish within it continues the same live period',
  );

export const MaxContinuousSeconds = () =>
  OptionalIntIn(
    MAX_CONTINUOUS,
    'A live period longer than this is cut off (nginx-rtmp: at the next on_update); the key may publish again afterwards',
  );
