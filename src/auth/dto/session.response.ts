import { ApiProperty } from '@nestjs/swagger';
import { Expose, Type } from 'class-transformer';
import { UserResponse } from '../../users/dto/user.response.js';

export class SessionResponse {
  @ApiProperty({ description: 'JWT for `Authorization: Bearer`' })
  @Expose()
  accessToken: string;

  @ApiProperty({ description: 'Opaque; single use: each refresh returns a new one' })
  @Expose()
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'] })
  @Expose()
  tokenType: 'Bearer';

  @ApiProperty({ description: 'Access-token lifetime in seconds', example: 900 })
  @Expose()
  expiresIn: number;

  @ApiProperty({ type: UserResponse })
  @Expose()
  @Type(() => UserResponse)
  user: UserResponse;
}
