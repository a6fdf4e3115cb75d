import type { MailMessage } from '../mail/mailer';

/** What a verification mail says about the registration attempt its code belongs to. */
export interface AttemptInfo {
  /** When the registration was made: with several attempts pending, the owner picks theirs by it. */
  registeredAt: Date;
  expiresAt: Date;
  /** Another registration attempt for the address is live. */
  othersPending: boolean;
}

/**
 * The mail that carries a verification code; the code is the only 6-digit number in it. It names
 * the time its registration was made and, when another attempt for the address is pending, says
 * so: each attempt has its own password and code, and someone else may have registered the address.
 */
export function verificationMail(to: string, code: string, attempt: AttemptInfo): MailMessage {
  const warning = attempt.othersPending
    ? [
        'Another registration for this address is pending. Each registration has its own code, and the',
        'code confirms the password typed in that registration: use only the code of the registration',
        'made when you registered, and ignore the others. If you did not register, ignore this mail.',
        '',
      ]
    : [];
  return {
    to,
    subject: 'Your Coffer verification code',
    text: [
      `Your Coffer verification code is ${code}`,
      '',
      `This code is for the registration made on ${utc(attempt.registeredAt)}. It works until ${utc(attempt.expiresAt)}.`,
      '',
      ...warning,
      'If you did not sign up for Coffer, ignore this mail.',
    ].join('\n'),
    devSummary: `verification code ${code}`,
  };
}

/** "2026-12-05 at 13:46:07 UTC": no run of six digits, so the code stays the only one. */
function utc(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} at ${iso.slice(11, 19)} UTC`;
}
