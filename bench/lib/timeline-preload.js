'use strict';
// Preloaded (`node -r`) into `coffer upload` by bench/upload-timeline.js: appends one JSON line per
// phase to $TIMELINE_OUT, in milliseconds since the process started (performance.now()). It wraps
// http.request, the argon2 hash and worker_threads.Worker from the outside; Coffer is unchanged.
const { isMainThread } = require('node:worker_threads');
const out = process.env.TIMELINE_OUT;

if (isMainThread && out) {
  const { appendFileSync } = require('node:fs');
  const http = require('node:http');
  const workerThreads = require('node:worker_threads');
  const Module = require('node:module');
  const mark = (phase) => appendFileSync(out, `${JSON.stringify({ phase, ms: +performance.now().toFixed(1) })}\n`);
  mark('node ready');

  const request = http.request;
  http.request = function (...args) {
    const target = args[0] instanceof URL ? args[0].pathname : typeof args[0] === 'string' ? new URL(args[0]).pathname : String(args[0].path);
    const what = target.includes('/presign') ? 'presign' : target.includes('/complete') ? 'complete' : target.includes('/api/keys') ? 'account key (GET /api/keys)' : 'PUT';
    mark(`${what} sent`);
    const req = request.apply(this, args);
    if (what === 'PUT') {
      req.once('socket', (socket) => {
        const write = socket.write;
        let headersOnly = true;
        socket.write = function (chunk, ...rest) {
          // The first write larger than the headers carries ciphertext.
          if (headersOnly && chunk && chunk.length > 4096) {
            headersOnly = false;
            mark('first ciphertext on the socket');
          }
          return write.call(this, chunk, ...rest);
        };
      });
    }
    req.once('response', () => mark(`${what} answered`));
    return req;
  };

  const load = Module._load;
  Module._load = function (name, ...rest) {
    const loaded = load.call(this, name, ...rest);
    if (name === 'argon2' && !loaded.__timeline) {
      const hash = loaded.hash;
      loaded.hash = function (...args) {
        mark('argon2id started');
        return hash.apply(this, args).then((value) => {
          mark('argon2id done');
          return value;
        });
      };
      loaded.__timeline = true;
    }
    return loaded;
  };

  const Worker = workerThreads.Worker;
  workerThreads.Worker = class extends Worker {
    constructor(...args) {
      mark('worker created');
      super(...args);
    }

    // Not a listener: Coffer removes the listeners of the worker it takes over.
    emit(event, ...args) {
      if (event === 'online') mark('worker online');
      return super.emit(event, ...args);
    }
  };
  process.once('exit', () => mark('exit'));
}
