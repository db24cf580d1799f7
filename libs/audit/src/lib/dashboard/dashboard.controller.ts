import { Controller, Get, Req, Res } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import type { Request, Response } from 'express';
import { extname } from 'node:path';
import { findDashboardFiles } from './dashboard-files';

const PREFIX = '/dashboard/';

/**
 * The compliance dashboard (apps/dashboard) at `/dashboard/`: its built files, and `index.html` for
 * every other path under it, so a deep link (`/dashboard/runs/<id>`) opens the app, which routes
 * in the browser. The files are public (they hold no data and no secret); the data comes from the
 * APIs with the API key the person enters. Hashed assets are cached for a year, `index.html` never.
 */
@Controller('dashboard')
export class DashboardController {
  /** Looked up again while missing: a build may finish after the service started. */
  private root: string | null = null;

  // Express matches `/dashboard` and `/dashboard/` alike (non-strict routing): only the first redirects.
  @Get(['', '*path'])
  serve(@Req() request: Request, @Res() response: Response): void {
    if (!request.path.startsWith(PREFIX)) return response.redirect(301, PREFIX);
    const root = (this.root ??= findDashboardFiles());
    if (!root) throw new RuntrailError('NOT_FOUND', 'the dashboard is not built here: run `node tools/build.mjs` (dist/apps/dashboard)');
    // Still URL-encoded: `send` decodes it and refuses `..` and dotfiles outside `root`.
    const path = request.path.slice(PREFIX.length);
    const asset = path.startsWith('assets/') || extname(path) !== '';
    const file = asset ? path : 'index.html';
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    if (!asset) response.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    response.sendFile(file, {
      root,
      dotfiles: 'deny',
      maxAge: file.startsWith('assets/') ? '365d' : 0,
      immutable: file.startsWith('assets/'),
      headers: file === 'index.html' ? { 'Cache-Control': 'no-cache' } : {},
    }, (error?: Error & { status?: number }) => {
      if (!error || response.headersSent) return;
      response.status(error.status ?? 404).type('application/problem+json').json({
        type: 'about:blank', title: 'Not Found', status: error.status ?? 404, detail: `dashboard file ${path}: not found`, code: 'NOT_FOUND', instance: request.path,
      });
    });
  }
}
