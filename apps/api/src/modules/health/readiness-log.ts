import type { Clock } from '../../common/clock';

/** A dependency that stays down is logged again after this, not on every probe. */
export const DOWN_REPEAT_MS = 60_000;

export interface ReadinessLogger {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * Says why `readyz` answers "down" without flooding the log when a probe runs every second: the
 * first failure of a dependency at once, then while it stays down at most one line every
 * DOWN_REPEAT_MS (the latest reason, and how many probes failed meanwhile), and the recovery once.
 */
export class ReadinessLog {
  private readonly down = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(
    private readonly logger: ReadinessLogger,
    private readonly clock: Clock,
  ) {}

  /** `error` undefined: the dependency answered. */
  report(component: string, error: unknown): void {
    const now = this.clock.now().getTime();
    const previous = this.down.get(component);
    if (error === undefined) {
      if (previous) this.logger.log(`readyz: ${component} answers again`);
      this.down.delete(component);
      return;
    }
    if (previous && now - previous.loggedAt < DOWN_REPEAT_MS) {
      previous.suppressed++;
      return;
    }
    const since = previous?.suppressed ? ` (${previous.suppressed} more failed probes since the last line)` : '';
    this.logger.warn(`readyz: ${component} is down: ${describeFailure(error)}${since}`);
    this.down.set(component, { loggedAt: now, suppressed: 0 });
  }
}

/** The first line of the error (Prisma's start with a line naming only the call), with any credentials of a URL in it blanked, at most 300 characters. */
export function describeFailure(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; name?: unknown; errors?: { message?: string }[] } | undefined;
  const message =
    (typeof e?.message === 'string' && e.message) ||
    e?.errors?.map((x) => x.message).filter(Boolean).join('; ') ||
    (typeof e?.code === 'string' && e.code) ||
    (typeof e?.name === 'string' && e.name) ||
    String(error);
  const code = typeof e?.code === 'string' && !message.includes(e.code) ? ` (${e.code})` : '';
  const line = `${firstTellingLine(message)}${code}`.replace(/\/\/[^/\s@]*@/g, '//***@');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function firstTellingLine(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => !/^Invalid `[^`]*` invocation/.test(line)) ?? lines[0] ?? message;
}
