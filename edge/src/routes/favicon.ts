import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';

/** A magnifying glass over a line of text, in the page's colours; small enough to inline in the Worker. */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="6" fill="#1f3a5f"/>' +
  '<path d="M6 9h14M6 14h9M6 19h7" stroke="#dfe7f2" stroke-width="2.4" stroke-linecap="round"/>' +
  '<circle cx="20" cy="19" r="5.5" fill="none" stroke="#f2b84b" stroke-width="2.6"/>' +
  '<path d="M24 23l3.5 3.5" stroke="#f2b84b" stroke-width="2.8" stroke-linecap="round"/>' +
  '</svg>';

// Browsers ask for /favicon.ico on every page load whatever the page links; a day in their cache keeps that off the Worker.
const icon = (c: Context<AppEnv>) => c.body(FAVICON_SVG, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' });

export const faviconRoutes = new Hono<AppEnv>().get('/favicon.svg', icon).get('/favicon.ico', icon);
