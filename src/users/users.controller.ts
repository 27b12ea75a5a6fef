import {
  Body,
  ClassSerializerInterceptor,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
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
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { JwtAuthGuard } from '../auth/jwt-auth.guard.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
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

  @Put('me/password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change password; every refresh token of the user stops working' })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiBadRequestResponse({ description: 'Invalid or unknown field' })
  @ApiUnauthorizedResponse({ description: 'Wrong current password, or missing/invalid access token' })
  changePassword(@CurrentUser() caller: AuthenticatedUser, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.users.changePassword(caller.id, dto);
  }

  @Delete('me')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Delete the account; its streams and sessions go with it' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiUnauthorizedResponse({ description: 'Missing, invalid or expired access token' })
  async remove(@CurrentUser() caller: AuthenticatedUser): Promise<void> {
    if (!(await this.users.remove(caller.id))) throw new UnauthorizedException(STALE_TOKEN_MESSAGE);
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
