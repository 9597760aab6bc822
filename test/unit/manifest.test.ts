import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

type Manifest = {
  commands: Record<
    string,
    { flags: Record<string, { type: string; options?: string[]; char?: string }>; args: Record<string, unknown> }
  >;
};

/** The command surface: commands, their flags (type, options, char) and args. Changes here are interface changes. */
function surface(manifest: Manifest) {
  return Object.fromEntries(
    Object.entries(manifest.commands)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, c]) => [
        id,
        {
          args: Object.keys(c.args).sort(),
          flags: Object.fromEntries(
            Object.entries(c.flags)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([name, f]) => [name, [f.type, f.char ?? '', (f.options ?? []).join('|')].join(' ')]),
          ),
        },
      ]),
  );
}

describe('oclif.manifest.json', () => {
  const file = join(ROOT, 'oclif.manifest.json');
  const built = JSON.parse(readFileSync(file, 'utf8')) as Manifest & { version: string };

  it('the committed manifest is the one the build generates', () => {
    // `npm test` runs the build, which regenerates the manifest from the commands: compare with what git has.
    const inGit = existsSync(join(ROOT, '.git'))
      ? execFileSync('git', ['show', 'HEAD:oclif.manifest.json'], {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        })
      : readFileSync(file, 'utf8');
    const committed = JSON.parse(inGit) as Manifest;
    expect({ ...committed, version: built.version }).toEqual(built);
  });

  it('keeps the command surface users and CI scripts rely on', () => {
    expect(surface(built)).toMatchSnapshot();
  });
});
