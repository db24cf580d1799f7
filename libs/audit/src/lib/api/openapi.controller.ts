import { Controller, Get } from '@nestjs/common';
import { AUDIT_OPENAPI } from './openapi.document';

/** `GET /v1/audit/openapi.json`: the API's description (public: it holds no data). */
@Controller('v1/audit')
export class OpenApiController {
  @Get('openapi.json')
  document(): typeof AUDIT_OPENAPI {
    return AUDIT_OPENAPI;
  }
}
