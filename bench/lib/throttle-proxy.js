#!/usr/bin/env node
// A TCP proxy that limits EVERY connection to a fixed rate in each direction, as object stores
// limit single connections: a client gets more only by opening more connections (issue 19's
// multipart bench). Bytes are passed on unchanged (HTTP, SigV4 and all), each chunk released when
// the connection's schedule allows it (a token bucket without burst: chunk of n bytes → n/rate s).
//
//   THROTTLE_TARGET=127.0.0.1:9000 THROTTLE_MBPS=25 node bench/lib/throttle-proxy.js
// Prints "listening <port>" (bench/lib/common.js startServer); MB = 10^6 bytes. Also a module:
// startThrottleProxy({ target, mbps }).
'use strict';
const net = require('node:net');

/** Copies `from` into `to` at `bytesPerSecond`, pausing `from` while chunks wait. */
function throttledPipe(from, to, bytesPerSecond) {
  let nextFree = 0; // ms timestamp when the connection may send again
  let waiting = 0;
  from.on('data', (chunk) => {
    const now = performance.now();
    const start = Math.max(now, nextFree);
    nextFree = start + (chunk.length / bytesPerSecond) * 1000;
    const delay = nextFree - now;
    // Released at the end of its slot, so no connection ever runs ahead of its rate.
    waiting++;
    if (waiting > 4) from.pause();
    setTimeout(() => {
      waiting--;
      if (!to.destroyed) to.write(chunk);
      if (waiting <= 2 && from.isPaused()) from.resume();
    }, delay);
  });
  from.on('end', () => {
    const finish = () => (waiting === 0 ? to.end() : setTimeout(finish, 5));
    finish();
  });
}

function startThrottleProxy({ target, mbps, port = 0 }) {
  const [host, targetPort] = target.split(':');
  const bytesPerSecond = mbps * 1e6;
  const stats = { connections: 0 };
  // Half-open allowed: each direction ends on its own (after its queued chunks).
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    stats.connections++;
    const upstream = net.connect({ port: Number(targetPort), host, allowHalfOpen: true });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    throttledPipe(client, upstream, bytesPerSecond);
    throttledPipe(upstream, client, bytesPerSecond);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve({ port: server.address().port, stats, close: () => new Promise((r) => server.close(() => r())) }));
  });
}

if (require.main === module) {
  const target = process.env.THROTTLE_TARGET;
  const mbps = Number(process.env.THROTTLE_MBPS ?? 25);
  if (!target || !(mbps > 0)) {
    console.error('THROTTLE_TARGET=host:port THROTTLE_MBPS=25 node bench/lib/throttle-proxy.js');
    process.exit(2);
  }
  startThrottleProxy({ target, mbps }).then(({ port }) => process.stdout.write(`listening ${port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}

module.exports = { startThrottleProxy };
