export { bootstrapService, levelsFrom, type ServiceDefinition } from './lib/bootstrap-service';
export { HealthController, HealthService } from './lib/health.controller';
export { isReadinessCheck, type ReadinessCheck } from './lib/readiness';
export { runService, type ServiceApp } from './lib/run-service';
export { ProblemJsonFilter, ProblemError, type Problem } from './lib/problem-json.filter';
export { ApiRateLimits, RateLimiter, type RateLimit } from './lib/rate-limiter';
export { configureHttp } from './lib/bootstrap-service';
export { BODY_LIMIT_BYTES, DeferredBodyErrorInterceptor, strictJsonBody } from './lib/strict-json-body';
