import { Body, Controller, Delete, HttpCode, HttpStatus, Put, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { JwtAuthGuard, type AuthenticatedRequest } from '../common/jwt-auth.guard.js';
import { AuthService } from './auth.service.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { OnePasswordChangeGuard } from './one-password-change.guard.js';

/**
 * The account routes that change credentials or end every session, under /users/me
 * as the contract has them; they live with the sessions they end.
 */
@ApiTags('users')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('users/me')
export class AccountController {
  constructor(private readonly auth: AuthService) {}

  @Put('password')
  @HttpCode(HttpStatus.NO_CONTENT)
  // One at a time, then AUTH_RATE_LIMIT_PER_MINUTE per user (not per IP): each change costs
  // two bcrypt runs. After JwtAuthGuard (class guards run first), so request.user is set.
  @UseGuards(OnePasswordChangeGuard, ThrottlerGuard)
  @Throttle({ default: { getTracker: (request) => `user:${(request as AuthenticatedRequest).user.id}` } })
  @ApiOperation({ summary: 'Change password; every refresh token of the user stops working' })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiBadRequestResponse({ description: 'Invalid or unknown field' })
  @ApiUnauthorizedResponse({ description: 'Wrong current password, or missing/invalid access token' })
  @ApiTooManyRequestsResponse({ description: 'Too many changes for this user, or one already in progress; see Retry-After' })
  @ApiServiceUnavailableResponse({ description: 'Server busy hashing passwords; see Retry-After' })
  changePassword(@CurrentUser() caller: AuthenticatedUser, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.auth.changePassword(caller.id, dto);
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the account; its streams and sessions go with it' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiUnauthorizedResponse({ description: 'Missing, invalid or expired access token' })
  remove(@CurrentUser() caller: AuthenticatedUser): Promise<void> {
    return this.auth.deleteAccount(caller.id);
  }
}
