import type { MailMessage } from '../mail/mailer';

/** The mail that carries a verification code; the code is the only 6-digit number in it. */
export function verificationMail(to: string, code: string, lifetimeSeconds: number): MailMessage {
  const minutes = Math.max(1, Math.round(lifetimeSeconds / 60));
  return {
    to,
    subject: 'Your Coffer verification code',
    text: [
      `Your Coffer verification code is ${code}`,
      '',
      `It works for ${minutes} minute${minutes === 1 ? '' : 's'}. If you did not sign up for Coffer, ignore this mail.`,
    ].join('\n'),
    devSummary: `verification code ${code}`,
  };
}
