'use strict';
// A minimal reverse proxy in front of API replicas, the JavaScript twin of the replicas e2e test's
// RoundRobinProxy (apps/api/test/e2e/replicas.e2e-helpers.ts): round-robin per request, the peer
// address appended to X-Forwarded-For as a real proxy does, `x-served-by` naming the replica.
// Counts what it forwarded per replica and the upstream failures it answered 502 for.
const http = require('node:http');

/** @returns {Promise<{ url: string, targets: number[], served: number[], upstreamErrors: string[], close(): Promise<void> }>} */
function startRoundRobinProxy() {
  // A fresh upstream connection per request: reusing idle ones races the server closing them after
  // its keep-alive timeout (5 s), which a slow run hits and reports as "socket hang up" on a POST
  // no proxy may retry. A real proxy times its idle upstreams out first; this one keeps it simple.
  const agent = new http.Agent({ keepAlive: false });
  const proxy = { targets: [], served: [], upstreamErrors: [] };
  let next = 0;
  const server = http.createServer((req, res) => {
    const index = next++ % proxy.targets.length;
    proxy.served[index] = (proxy.served[index] ?? 0) + 1;
    const headers = { ...req.headers };
    headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = http.request({ host: '127.0.0.1', port: proxy.targets[index], method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-served-by': String(index) });
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      proxy.upstreamErrors.push(`${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `proxy: ${error.message}`, code: 'BAD_GATEWAY' }));
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', 1024, () => {
      proxy.url = `http://127.0.0.1:${server.address().port}`;
      proxy.close = () => {
        server.closeAllConnections();
        agent.destroy();
        return new Promise((r) => server.close(() => r()));
      };
      resolve(proxy);
    });
  });
}

module.exports = { startRoundRobinProxy };
