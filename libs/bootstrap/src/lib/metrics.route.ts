import type { INestApplication } from '@nestjs/common';
import { prometheusText } from '@runtrail/telemetry';
import type { NextFunction, Request, Response } from 'express';

/**
 * `GET /metrics`: the process's metrics as Prometheus text (version 0.0.4), unauthenticated like
 * the health endpoints. Labels are bounded values, never an id of a run or key, nor a secret.
 */
export function serveMetrics(app: INestApplication): void {
  app.use('/metrics', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || (req.path !== '/' && req.path !== '')) return next();
    prometheusText().then(
      (text) => res.status(200).type('text/plain; version=0.0.4; charset=utf-8').send(text),
      next,
    );
  });
}
