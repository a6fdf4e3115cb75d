import type * as CliProgress from 'cli-progress';
import type { Context } from './context';
import { formatBytes, formatDuration } from './format';

/** Byte progress of one transfer. */
export interface Progress {
  advance(bytes: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { advance: () => undefined, stop: () => undefined };

/**
 * A progress bar with speed and ETA on stderr — only when stderr is a terminal, so logs and
 * scripts never get control characters.
 */
export function startProgress(ctx: Context, label: string, totalBytes: number, options: { resumedBytes?: number } = {}): Progress {
  const stderr = ctx.io.stderr;
  if (stderr.isTTY !== true) return NO_PROGRESS;
  // Loaded only for a terminal: scripts and pipes do not pay its start-up (~13 ms).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SingleBar } = require('cli-progress') as typeof CliProgress;
  const started = Date.now();
  // Bytes sent before this run (a resumed upload) count in the bar, not in the speed.
  const resumed = options.resumedBytes ?? 0;
  let done = 0;
  const bar = new SingleBar({
    stream: stderr,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
    fps: 10,
    format: (options, params) => {
      const width = options.barsize ?? 30;
      const ratio = params.total > 0 ? Math.min(1, params.value / params.total) : 1;
      const filled = Math.round(ratio * width);
      const elapsed = Math.max(0.001, (Date.now() - started) / 1000);
      const speed = done / elapsed;
      const eta = speed > 0 ? (params.total - params.value) / speed : 0;
      const resumedNote = resumed > 0 ? ` (resumed at ${formatBytes(resumed)})` : '';
      return `${label}${resumedNote} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${formatBytes(params.value)}/${formatBytes(params.total)} ${formatBytes(speed)}/s ETA ${formatDuration(eta)}`;
    },
  });
  bar.start(totalBytes, resumed);
  return {
    advance(bytes) {
      done += bytes;
      bar.update(resumed + done);
    },
    stop() {
      bar.stop();
    },
  };
}
