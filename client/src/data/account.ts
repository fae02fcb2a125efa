import { PASSWORD_MIN_LENGTH } from '../../../server/auth/password-rules.ts';

/**
 * What is wrong with the password form before it is sent, or null. The server
 * checks the same length and more (the common-password list, the current
 * password); this only saves a round trip for the mistakes a person makes
 * most (a typo in the confirmation, reusing the old password).
 */
export function passwordFormProblem(current: string, next: string, confirm: string): string | null {
  if (!current) return 'Enter your current password.';
  if ([...next].length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters for the new password.`;
  if (next !== confirm) return 'The two new passwords are not the same.';
  if (next === current) return 'The new password is the same as the current one.';
  return null;
}
