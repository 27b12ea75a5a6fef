import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { lowerCase } from './create-user.dto.js';

/** Username and password are not changed here (the password has its own route). */
export class UpdateUserDto {
  @ApiPropertyOptional({ format: 'email', maxLength: 255, description: 'Stored lower-cased; unique' })
  // Absent means "unchanged"; null is not an address (the column is NOT NULL), so it is validated.
  @ValidateIf((_dto, value) => value !== undefined)
  @Transform(lowerCase)
  @IsEmail()
  @MaxLength(255)
  email?: string;

  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  firstName?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  lastName?: string | null;
}
