import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { Mailer, MailMessage } from './mailer';

/**
 * Without SMTP, each mail becomes a file in `DATA_DIR/outbox/` (readable by the server's user
 * only) and its summary is logged, so a first run on a laptop can sign up without a mail server.
 */
export class OutboxMailer extends Mailer {
  private readonly logger = new Logger('Mail');

  constructor(
    private readonly outboxDir: string,
    private readonly from: string,
    private readonly clock: Clock,
  ) {
    super();
  }

  async send(message: MailMessage): Promise<void> {
    await mkdir(this.outboxDir, { recursive: true, mode: 0o700 });
    const now = this.clock.now();
    const file = path.join(this.outboxDir, `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`);
    const content = [
      `From: ${this.from}`,
      `To: ${message.to}`,
      `Date: ${now.toUTCString()}`,
      `Subject: ${message.subject}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      message.text,
      '',
    ].join('\r\n');
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    this.logger.log(`mail to ${message.to} written to ${file}${message.devSummary ? `: ${message.devSummary}` : ''}`);
  }
}
