import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { Utf8ByteLength } from '../../common/utf8-byte-length.decorator.js';

export class ChangePasswordDto {
  @ApiProperty({ format: 'password', maxLength: 72 })
  @IsString()
  @Utf8ByteLength(1, 72)
  currentPassword: string;

  @ApiProperty({ format: 'password', minLength: 8, maxLength: 72, description: '8–72 bytes in UTF-8' })
  @IsString()
  @Utf8ByteLength(8, 72)
  newPassword: string;
}
