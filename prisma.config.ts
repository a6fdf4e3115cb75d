import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI only (`prisma migrate deploy`, `prisma studio`); the server applies
// migrations itself at start. Falls back to a placeholder so offline `generate` works.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/coffer' },
});
