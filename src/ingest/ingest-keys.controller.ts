import { ForbiddenException, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { KeyLookupDto, KeyRefusalDto } from './dto/key-lookup.dto.js';
import { REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestController } from './ingest-controller.decorator.js';
import { IngestService } from './ingest.service.js';

@IngestController('keys', 'ingest/keys')
export class IngestKeysController {
  constructor(private readonly ingest: IngestService) {}

  @Get(':streamKey')
  @ApiOperation({ summary: 'May this key publish? For custom ingest servers' })
  @ApiOkResponse({ type: KeyLookupDto, description: 'Usable key' })
  @ApiForbiddenResponse({ type: KeyRefusalDto, description: 'Disabled or expired stream, or its owner at the live limit' })
  @ApiNotFoundResponse({ description: 'Unknown key' })
  async lookup(@Param('streamKey') streamKey: string): Promise<KeyLookupDto> {
    const decision = await this.ingest.lookup('keys', streamKey);
    switch (decision.outcome) {
      case 'allowed':
        return decision.stream;
      case 'unknown':
        throw new NotFoundException(REFUSAL_MESSAGES.unknown);
      case 'disabled':
      case 'expired':
      case 'live_limit':
        throw new ForbiddenException({
          statusCode: 403,
          message: REFUSAL_MESSAGES[decision.outcome],
          error: 'Forbidden',
          reason: decision.outcome,
        });
    }
  }
}
