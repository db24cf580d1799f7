import { Controller, Get, Header } from '@nestjs/common';
import { openApiDocument } from './openapi.document';

/** `GET /v1/openapi.json` (no key needed: it describes the API, it holds no data). */
@Controller('v1')
export class OpenApiController {
  private readonly document = openApiDocument();

  @Get('openapi.json')
  @Header('Cache-Control', 'public, max-age=300')
  openApi(): Record<string, unknown> {
    return this.document;
  }
}
