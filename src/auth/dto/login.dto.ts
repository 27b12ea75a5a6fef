import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Utf8ByteLength } from '../../common/utf8-byte-length.decorator.js';

export class LoginDto {
  @ApiProperty({ description: 'Username (any case) or email', example: 'ada_l' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  login: string;

  // Over 72 bytes cannot be anyone's password, and bcrypt would silently compare only the first 72.
  @ApiProperty({ format: 'password', maxLength: 72 })
  @IsString()
  @Utf8ByteLength(1, 72)
  password: string;
}
