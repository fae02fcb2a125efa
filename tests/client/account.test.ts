import { describe, expect, it } from 'vitest';
import { passwordFormProblem } from '../../client/src/data/account.ts';

describe('password form checks before sending', () => {
  it('asks for the current password, the length, a matching confirmation and a new password', () => {
    expect(passwordFormProblem('', 'long enough 1', 'long enough 1')).toBe('Enter your current password.');
    expect(passwordFormProblem('old password', 'short', 'short')).toBe('Use at least 8 characters for the new password.');
    // 8 characters counted as a person counts them (an emoji is one)
    expect(passwordFormProblem('old password', '1234567😀', '1234567😀')).toBeNull();
    expect(passwordFormProblem('old password', '1234567😀'.slice(0, 7), '1234567')).toMatch(/at least 8/);
    expect(passwordFormProblem('old password', 'new password 1', 'new password 2')).toBe('The two new passwords are not the same.');
    expect(passwordFormProblem('same password', 'same password', 'same password')).toBe('The new password is the same as the current one.');
    expect(passwordFormProblem('old password', 'new password 1', 'new password 1')).toBeNull();
  });
});
