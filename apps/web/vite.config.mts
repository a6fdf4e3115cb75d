import { defineConfig } from 'vite';

/**
 * Two pages, served by the API server (apps/api/src/modules/web): the recipient page of a share
 * link (`/s/<owner>/<file>`, s.html) and the owners' app (`/`, index.html). Nothing is inlined:
 * the server's CSP allows scripts and styles from 'self' only.
 */
export default defineConfig({
  base: '/',
  // JSX through Oxc's automatic runtime (Vite 8 transforms with Oxc, not esbuild): no Babel plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    rollupOptions: { input: { app: 'index.html', recipient: 's.html' } },
  },
});
