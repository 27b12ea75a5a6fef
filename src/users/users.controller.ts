import {
  Body,
  ClassSerializerInterceptor,
  Controller,
  Get,
  NotFoundException,
  Param,
  Patch,
  Post,
  SerializeOptions,
  UnauthorizedException,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { JwtAuthGuard } from '../common/jwt-auth.guard.js';
import { CreateUserDto, USERNAME_PATTERN } from './dto/create-user.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { PublicUserResponse, UserResponse } from './dto/user.response.js';
import type { User } from './user.entity.js';
import { STALE_TOKEN_MESSAGE, UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
@UseInterceptors(ClassSerializerInterceptor)
@SerializeOptions({ type: UserResponse, strategy: 'excludeAll' })
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  // Rate-limited per client IP (AUTH_RATE_LIMIT_PER_MINUTE); the throttler module is registered by AuthModule.
  @UseGuards(ThrottlerGuard)
  @ApiOperation({ summary: 'Sign up' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiBadRequestResponse({ description: 'Invalid or unknown field' })
  @ApiConflictResponse({ description: 'Username (ignoring case) or email already taken' })
  @ApiTooManyRequestsResponse({ description: 'Too many sign-ups from this client; see Retry-After' })
  @ApiServiceUnavailableResponse({ description: 'Server busy hashing passwords; see Retry-After' })
  create(@Body() dto: CreateUserDto): Promise<User> {
    return this.users.create(dto);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller’s account' })
  @ApiOkResponse({ type: UserResponse })
  @ApiUnauthorizedResponse({ description: 'Missing, invalid or expired access token, or the account is gone' })
  async me(@CurrentUser() caller: AuthenticatedUser): Promise<User> {
    return existing(await this.users.findById(caller.id));
  }

  @Patch('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change email or names' })
  @ApiOkResponse({ type: UserResponse })
  @ApiBadRequestResponse({ description: 'Invalid or unknown field' })
  @ApiUnauthorizedResponse({ description: 'Missing, invalid or expired access token' })
  @ApiConflictResponse({ description: 'Email already registered' })
  async update(@CurrentUser() caller: AuthenticatedUser, @Body() dto: UpdateUserDto): Promise<User> {
    return existing(await this.users.update(caller.id, dto));
  }

  @Get(':username')
  @SerializeOptions({ type: PublicUserResponse, strategy: 'excludeAll' })
  @ApiOperation({ summary: 'Public profile (no email)' })
  @ApiOkResponse({ type: PublicUserResponse })
  @ApiNotFoundResponse({ description: 'No such user' })
  async profile(@Param('username') username: string): Promise<User> {
    // A name that breaks the username rule cannot exist: skip the query.
    const user = USERNAME_PATTERN.test(username) && username.length <= 50 ? await this.users.findByUsername(username) : null;
    if (!user) throw new NotFoundException('user not found');
    return user;
  }
}

/** A valid token whose user has been deleted is answered like an invalid token. */
function existing(user: User | null): User {
  if (!user) throw new UnauthorizedException(STALE_TOKEN_MESSAGE);
  return user;
}
