/**
 * The database `pnpm start` runs when no SUPABASE_URL is given: PostgreSQL compiled to WebAssembly
 * (PGlite) in this process, its files in the data folder, with the same bootstrap, migrations and
 * seed the real PostgreSQL gets. It is served over the PostgreSQL wire protocol on a Unix socket in
 * a folder only this user can enter, because PGlite has no authentication of its own: whoever can
 * reach the socket is the superuser.
 */
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './stack.ts';

export interface EmbeddedDatabase {
  db: PGlite;
  /** Folder holding `.s.PGSQL.5432`, for libpq-style `host=` parameters. */
  socketDir: string;
  /** Migrations applied by this start (empty when the data folder was already up to date). */
  applied: string[];
  close(): Promise<void>;
}

/** Migrations in file-name order, each applied once and recorded, so a restart keeps the data. */
async function migrate(db: PGlite): Promise<string[]> {
  await db.exec(`create schema if not exists embedded;
    create table if not exists embedded.applied_migrations (name text primary key, applied_at timestamptz not null default now());`);
  // Roles and auth helpers (idempotent); Supabase has them already, plain PostgreSQL does not.
  await db.exec(readFileSync(path.join(ROOT, 'supabase/local/bootstrap.sql'), 'utf8'));
  const done = new Set((await db.query<{ name: string }>('select name from embedded.applied_migrations')).rows.map((r) => r.name));
  const dir = path.join(ROOT, 'supabase/migrations');
  const applied: string[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    if (done.has(name)) continue;
    const sql = readFileSync(path.join(dir, name), 'utf8');
    await db.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.query('insert into embedded.applied_migrations (name) values ($1)', [name]);
    });
    applied.push(name);
  }
  await db.exec(readFileSync(path.join(ROOT, 'supabase/seed.sql'), 'utf8'));
  return applied;
}

export async function openEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const db = await PGlite.create({ dataDir, extensions: { pgcrypto } });
  let applied: string[];
  try {
    applied = await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  // Unix socket paths are limited to about 100 bytes, so the socket lives under the temp folder,
  // not under a checkout whose path may be long.
  const socketDir = mkdtempSync(path.join(os.tmpdir(), 'pglite-'));
  chmodSync(socketDir, 0o700);
  // Connections share one PGlite; the server runs one statement at a time and keeps an open
  // transaction's statements together, so a small pool is safe.
  const server = new PGLiteSocketServer({ db, path: path.join(socketDir, '.s.PGSQL.5432'), maxConnections: 4 });
  await server.start();
  return {
    db,
    socketDir,
    applied,
    async close() {
      await server.stop();
      await db.close();
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
