import { describe, expect, it } from 'vitest';
import { droppedOptions, fragmentProblems, mergeFragments } from '../../src/artifacts/kernel/kconfig.js';

describe('kconfig fragments, merged as merge_config.sh does', () => {
  const base = 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\n';

  it('replaces the base line of every option a fragment sets; later fragments win with a note', () => {
    const merged = mergeFragments(base, [
      { name: 'one.config', text: 'CONFIG_B=y\nCONFIG_D=y\n' },
      { name: 'inline fragment 2', text: '# CONFIG_D is not set' },
    ]);
    expect(merged.config).toBe('CONFIG_A=y\nCONFIG_C=m\nCONFIG_B=y\n# CONFIG_D is not set\n');
    expect(merged.notes).toEqual([
      'Value of CONFIG_D is redefined by fragment inline fragment 2: previous value: CONFIG_D=y (one.config), new value: # CONFIG_D is not set',
    ]);
  });

  it('reports every requested value that did not survive olddefconfig', () => {
    const { requested } = mergeFragments(base, [
      { name: 'f', text: 'CONFIG_B=y\nCONFIG_E=y\n# CONFIG_GONE is not set\n' },
    ]);
    const final = 'CONFIG_A=y\nCONFIG_B=y\n# CONFIG_E is not set\n';
    expect(droppedOptions(requested, final)).toEqual([
      'Value requested for CONFIG_E not in final .config: requested "CONFIG_E=y", actual "# CONFIG_E is not set"',
    ]);
  });

  it('finds lines that are not Kconfig', () => {
    expect(fragmentProblems('CONFIG_A=y\n# comment\n\nEXT4=y\n')).toEqual(['EXT4=y']);
  });
});
