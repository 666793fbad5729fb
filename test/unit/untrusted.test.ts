import { describe, expect, it } from 'vitest';
import { neutraliseConsoleText } from '../../src/report/untrusted.js';
import { loadBootFixture } from '../helpers/fixtures.js';

describe('neutraliseConsoleText', () => {
  it("drops the colour escapes of systemd's own status lines (systemd-bookworm) and keeps their words", () => {
    const { trace } = loadBootFixture('systemd-bookworm');
    const unsupp = trace.lines.find((l) => l.text.includes('UNSUPP'))!.text;
    expect(unsupp).toMatch(/\u001b\[/);
    expect(neutraliseConsoleText(unsupp)).toBe(
      '[UNSUPP] Starting of proc-sys-fs-bi…ystem Automount Point unsupported.',
    );
  });

  it('shows other control characters and bidi overrides as escapes, and leaves plain text alone', () => {
    expect(neutraliseConsoleText('a\rb\u0007c\u202ed\u2066e\u0085f')).toBe('a\\x0db\\x07c\\u202ed\\u2066e\\x85f');
    expect(neutraliseConsoleText('\u001b]0;title\u0007shown')).toBe('shown');
    expect(neutraliseConsoleText('Run /init as init process')).toBe('Run /init as init process');
  });
});
