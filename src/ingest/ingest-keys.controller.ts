import { Controller, ForbiddenException, Get, NotFoundException, Param, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { KeyLookupDto, KeyRefusalDto } from './dto/key-lookup.dto.js';
import { IngestAdapter, REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestSecretGuard } from './ingest-secret.guard.js';
import { IngestService } from './ingest.service.js';

@ApiTags('ingest')
@ApiBearerAuth()
@ApiQuery({ name: 'secret', required: false, description: 'INGEST_SECRET, for callers that cannot send a header' })
@ApiUnauthorizedResponse({ description: 'Missing or wrong ingest secret' })
@IngestAdapter('keys')
@UseGuards(IngestSecretGuard)
@Controller('ingest/keys')
export class IngestKeysController {
  constructor(private readonly ingest: IngestService) {}

  @Get(':streamKey')
  @ApiOperation({ summary: 'May this key publish? For custom ingest servers' })
  @ApiOkResponse({ type: KeyLookupDto, description: 'Usable key' })
  @ApiForbiddenResponse({ type: KeyRefusalDto, description: 'Disabled or expired stream' })
  @ApiNotFoundResponse({ description: 'Unknown key' })
  async lookup(@Param('streamKey') streamKey: string): Promise<KeyLookupDto> {
    const decision = await this.ingest.lookup('keys', streamKey);
    switch (decision.outcome) {
      case 'allowed':
        return decision.stream;
      case 'unknown':
        throw new NotFoundException(REFUSAL_MESSAGES.unknown);
      default:
        throw new ForbiddenException({
          statusCode: 403,
          message: REFUSAL_MESSAGES[decision.outcome],
          error: 'Forbidden',
          reason: decision.outcome,
        });
    }
  }
}
