import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Public } from '../auth/auth.decorators';
import { pageHeaders, webDistDir, withBase } from './web-files';

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Not built</title>
<p>The web app is not built on this server. Run <code>npm run build</code> (it builds dist/web) and reload.</p></html>`;

/**
 * The web app's pages. Every area (the consumer portal, the tenant dashboard) is the same built
 * page: it reads its area from the path and its access from the URL fragment, which never reaches this
 * server. Assets are served under /web/ (see app.factory.ts).
 */
@ApiExcludeController()
@Public()
@Controller()
export class WebController {
  private readonly index = join(webDistDir(), 'index.html');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('portal')
  async portal(@Res() reply: FastifyReply): Promise<void> {
    await this.page(reply);
  }

  /** The tenant dashboard: the same page; it signs in with a tenant API key kept in sessionStorage. */
  @Get('dashboard')
  async dashboard(@Res() reply: FastifyReply): Promise<void> {
    await this.page(reply);
  }

  private async page(reply: FastifyReply): Promise<void> {
    const headers = pageHeaders(this.config.portal.frameAncestors);
    let html: string;
    try {
      html = await readFile(this.index, 'utf8');
    } catch {
      await reply.status(503).headers(headers).send(NOT_BUILT);
      return;
    }
    await reply.status(200).headers(headers).send(withBase(html, this.config.http.publicUrl));
  }
}
