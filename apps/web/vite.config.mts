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
    rollupOptions: {
      // download-sw: the recipient page's download-stream service worker, at a fixed URL
      // (/download-sw.js, served by the API) so that its registration survives new builds.
      input: { app: 'index.html', recipient: 's.html', 'download-sw': 'src/recipient/download-sw.ts' },
      output: { entryFileNames: (chunk) => (chunk.name === 'download-sw' ? 'download-sw.js' : 'assets/[name]-[hash].js') },
    },
  },
});
