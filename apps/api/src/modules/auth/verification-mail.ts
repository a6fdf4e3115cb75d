import type { MailMessage } from '../mail/mailer';

/**
 * The mail that carries a verification code; the code is the only 6-digit number in it. When
 * another registration attempt for the address is already pending, it says so: each attempt
 * has its own password and its own code, and someone else may have registered the address.
 */
export function verificationMail(to: string, code: string, lifetimeSeconds: number, othersPending = false): MailMessage {
  const minutes = Math.max(1, Math.round(lifetimeSeconds / 60));
  const warning = othersPending
    ? [
        'Another registration for this address is pending. Each registration has its own code, and the',
        'code confirms the password typed in that registration. If you started only one registration,',
        'use the code of the first mail that arrived after you registered and ignore the others; if you',
        'did not register just now, ignore this mail.',
        '',
      ]
    : [];
  return {
    to,
    subject: 'Your Coffer verification code',
    text: [
      `Your Coffer verification code is ${code}`,
      '',
      ...warning,
      `It works for ${minutes} minute${minutes === 1 ? '' : 's'}. If you did not sign up for Coffer, ignore this mail.`,
    ].join('\n'),
    devSummary: `verification code ${code}`,
  };
}
