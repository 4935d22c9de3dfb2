import { describe, expect, test } from 'vitest';
import { type DirFacts, stateDirProblem } from '../../src/util/state-dir.js';

/**
 * The rule behind hardening/untrusted-state-dir, on any machine: a directory of another user's
 * cannot be made without root, so the check is given the lstat result itself.
 */
function facts(overrides: Partial<{ link: boolean; dir: boolean; uid: number }> = {}): DirFacts {
  const { link = false, dir = true, uid = 1000 } = overrides;
  return { uid, isSymbolicLink: () => link, isDirectory: () => dir };
}

describe('which .mcp-fleet directories are trusted with secrets', () => {
  test("this user's own directory is", () => {
    expect(stateDirProblem('/p/.mcp-fleet', facts(), 1000)).toBeUndefined();
  });

  test("another user's directory is not, naming both uids", () => {
    expect(stateDirProblem('/p/.mcp-fleet', facts({ uid: 4242 }), 1000)).toBe(
      '/p/.mcp-fleet belongs to another user (uid 4242; this is uid 1000)',
    );
  });

  test('root does not trust a directory of another user either', () => {
    expect(stateDirProblem('/p/.mcp-fleet', facts({ uid: 1000 }), 0)).toMatch(/belongs to another user/);
  });

  test('a link is not, even one owned by this user', () => {
    expect(stateDirProblem('/p/.mcp-fleet/backups', facts({ link: true }), 1000)).toBe('/p/.mcp-fleet/backups is a symbolic link');
  });

  test('a file in place of a directory is not', () => {
    expect(stateDirProblem('/p/.mcp-fleet/local', facts({ dir: false }), 1000)).toBe('/p/.mcp-fleet/local is not a directory');
  });

  test('a platform without uids checks links and kinds only', () => {
    expect(stateDirProblem('/p/.mcp-fleet', facts({ uid: 4242 }), undefined)).toBeUndefined();
  });
});
