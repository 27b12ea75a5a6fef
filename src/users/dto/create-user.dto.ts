import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { Utf8ByteLength } from '../../common/utf8-byte-length.decorator.js';

export const USERNAME_PATTERN = /^[a-zA-Z0-9_]+$/;

/** Emails are stored lower-cased, so the plain unique index already ignores case. */
export const lowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value);

export class CreateUserDto {
  @ApiProperty({ minLength: 3, maxLength: 50, pattern: USERNAME_PATTERN.source, example: 'ada_l', description: 'Unique ignoring case' })
  @IsString()
  @Length(3, 50)
  @Matches(USERNAME_PATTERN, { message: 'username may contain only letters, digits and underscores' })
  username: string;

  @ApiProperty({ format: 'email', maxLength: 255, example: 'ada@example.com', description: 'Stored lower-cased; unique' })
  @Transform(lowerCase)
  @IsEmail()
  @MaxLength(255)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 72, format: 'password', description: '8–72 bytes in UTF-8' })
  @IsString()
  @Utf8ByteLength(8, 72)
  password: string;

  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true, example: 'Ada' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  firstName?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true, example: 'Lovelace' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  lastName?: string | null;
}
