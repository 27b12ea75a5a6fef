import { ApiProperty } from '@nestjs/swagger';
import { Expose } from 'class-transformer';

/**
 * Response shapes. Controllers serialize with `strategy: 'excludeAll'`, so only the
 * properties exposed here ever reach a client: a password hash cannot slip through.
 */
export class PublicUserResponse {
  @ApiProperty({ type: 'integer', example: 7 })
  @Expose()
  id: number;

  @ApiProperty({ example: 'ada_l' })
  @Expose()
  username: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada' })
  @Expose()
  firstName: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Lovelace' })
  @Expose()
  lastName: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null only on accounts created by older services' })
  @Expose()
  createdAt: Date | null;
}

export class UserResponse extends PublicUserResponse {
  @ApiProperty({ format: 'email', example: 'ada@example.com' })
  @Expose()
  email: string;
}
