import {
  Body,
  ClassSerializerInterceptor,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  SerializeOptions,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AuthService, type Session } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';
import { RefreshTokenDto } from './dto/refresh-token.dto.js';
import { SessionResponse } from './dto/session.response.js';

@ApiTags('auth')
@Controller('auth')
@UseInterceptors(ClassSerializerInterceptor)
@SerializeOptions({ type: SessionResponse, strategy: 'excludeAll' })
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(HttpStatus.OK)
  // Guards run before the body is validated or a password hashed: floods stay cheap.
  @UseGuards(ThrottlerGuard)
  @ApiOperation({ summary: 'Log in with username or email' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiBadRequestResponse({ description: 'Invalid or unknown field' })
  @ApiUnauthorizedResponse({ description: 'Unknown login or wrong password (one answer for both)' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this client, or failed logins for this account; see Retry-After' })
  @ApiServiceUnavailableResponse({ description: 'Server busy hashing passwords; see Retry-After' })
  login(@Body() dto: LoginDto): Promise<Session> {
    return this.auth.login(dto);
  }

  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair; the old token stops working' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiBadRequestResponse({ description: 'Missing or unknown field' })
  @ApiUnauthorizedResponse({ description: 'Unknown, expired, revoked or already used refresh token' })
  refresh(@Body() dto: RefreshTokenDto): Promise<Session> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke one refresh token (this session)' })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiBadRequestResponse({ description: 'Missing or unknown field' })
  @ApiUnauthorizedResponse({ description: 'Unknown, expired or already revoked refresh token' })
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.auth.logout(dto.refreshToken);
  }
}
