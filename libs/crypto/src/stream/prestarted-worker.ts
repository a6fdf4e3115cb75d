import { Worker } from 'node:worker_threads';

/**
 * One worker of a kind started ahead of the object that will use it, so that its start-up
 * (loading the library and the AES-GCM binding: tens of milliseconds, far more on a busy machine)
 * overlaps what comes first. It holds nothing until taken; unused, it does not keep the process
 * alive.
 */
export class PrestartedWorker {
  private waiting: Worker | undefined;

  constructor(private readonly file: string) {}

  start(): void {
    if (this.waiting) return;
    const worker = new Worker(this.file);
    worker.unref();
    // Until it is taken, a failure only means the user starts a worker of its own.
    const forget = () => {
      if (this.waiting === worker) this.waiting = undefined;
    };
    worker.once('error', forget).once('exit', forget);
    this.waiting = worker;
  }

  /** The worker started ahead if it still runs, else a new one. */
  take(): Worker {
    const worker = this.waiting;
    this.waiting = undefined;
    // threadId is -1 once the thread has stopped, which may be before 'exit' is emitted.
    if (worker && worker.threadId !== -1) {
      worker.removeAllListeners();
      return worker;
    }
    return new Worker(this.file);
  }
}
