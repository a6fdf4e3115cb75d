/** One plain-text message. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /**
   * A one-line summary (for a verification mail: the code) that the outbox mailer logs, so a
   * developer without SMTP can sign up offline. Never logged when mail goes out over SMTP.
   */
  devSummary?: string;
}

/** The mail port. `send` resolves once the message is accepted for delivery and rejects otherwise. */
export abstract class Mailer {
  abstract send(message: MailMessage): Promise<void>;
}
