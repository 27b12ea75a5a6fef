import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Length in UTF-8 bytes, not characters: bcrypt reads only the first 72 bytes of a
 * password, so "é".repeat(37) (37 characters, 74 bytes) must be refused, not truncated.
 */
export function Utf8ByteLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'utf8ByteLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && Buffer.byteLength(value, 'utf8') >= min && Buffer.byteLength(value, 'utf8') <= max,
        defaultMessage: (args) => `${args?.property} must be ${min} to ${max} bytes long in UTF-8`,
      },
    },
    options,
  );
}
