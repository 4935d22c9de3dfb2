import { describe, expect, test } from 'vitest';
import { accessError, ExitCode } from '../../src/util/errors.js';

/**
 * The mapping from a refused system call to what the user reads. The end-to-end test
 * (hardening/unreadable-files) needs a user who really cannot read a file; this holds the rule on
 * any machine, root or not, with the errors Node raises.
 */
function errno(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, ...(path ? { path } : {}) });
}

describe('a file this user may not use', () => {
  test('EACCES on open is exit 2 naming the path and what was refused, with a hint that runs', () => {
    const error = accessError(errno('EACCES', 'open', '/p/wrangler.jsonc'), undefined, 'read');
    expect(error?.exitCode).toBe(ExitCode.usage);
    expect(error?.message).toMatch(/^cannot read \/p\/wrangler\.jsonc: permission denied for this user/);
    expect(error?.hint).toContain('ls -ld /p/wrangler.jsonc');
    expect(error?.message).not.toMatch(/bug|EACCES/);
  });

  test.each([
    ['EPERM', 'mkdir', 'create'],
    ['EACCES', 'rename', 'replace'],
    ['EACCES', 'scandir', 'list'],
    ['EACCES', 'chmod', 'change the mode of'],
  ])('%s on %s says "cannot %s"', (code, syscall, verb) => {
    expect(accessError(errno(code, syscall, '/p/.mcp-fleet'))?.message).toMatch(new RegExp(`^cannot ${verb} /p/\\.mcp-fleet:`));
  });

  test('the path the caller names wins over the one in the error (a display name)', () => {
    expect(accessError(errno('EACCES', 'open', '/p/.secrets.acme'), '.secrets.acme', 'read')?.message).toMatch(
      /^cannot read \.secrets\.acme:/,
    );
  });

  test('a path with spaces is quoted in the hint', () => {
    expect(accessError(errno('EACCES', 'open', "/p/my fleet/it's"))?.hint).toContain(`ls -ld '/p/my fleet/it'\\''s'`);
  });

  test('other errors, and refusals without a path (a port, a signal), are not this error', () => {
    expect(accessError(errno('ENOENT', 'open', '/p/x'))).toBeUndefined();
    expect(accessError(errno('EACCES', 'listen'))).toBeUndefined();
    expect(accessError(errno('EPERM', 'kill'))).toBeUndefined();
    expect(accessError(new Error('plain'))).toBeUndefined();
    expect(accessError(undefined)).toBeUndefined();
  });
});
