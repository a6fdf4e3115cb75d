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

/**
 * Copies `from` into `to` at `bytesPerSecond`: each chunk is released at the end of its slot in
 * the connection's schedule (so no connection runs ahead of its rate), in order, by one timer at a
 * time (timers of different delays may fire out of order in Node); `from` is paused while chunks wait.
 */
function throttledPipe(from, to, bytesPerSecond) {
  const queue = []; // { chunk, at }
  let nextFree = 0; // ms timestamp when the connection's next byte may go
  let timer;
  let ended = false;
  const pump = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0].at <= now) {
      const { chunk } = queue.shift();
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length) timer = setTimeout(pump, queue[0].at - now);
    else if (ended) to.end();
    if (queue.length <= 2 && from.isPaused()) from.resume();
  };
  from.on('data', (chunk) => {
    const now = performance.now();
    nextFree = Math.max(now, nextFree) + (chunk.length / bytesPerSecond) * 1000;
    queue.push({ chunk, at: nextFree });
    if (queue.length > 4) from.pause();
    if (!timer) timer = setTimeout(pump, nextFree - now);
  });
  from.on('end', () => {
    ended = true;
    if (!timer && !queue.length) to.end();
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
