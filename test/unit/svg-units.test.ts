import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { judgeStages } from '../../src/judge/budgets.js';
import type { ScenarioResult } from '../../src/judge/types.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { renderSvg } from '../../src/report/svg.js';
import { CHART_UNITS } from '../../src/report/svg-units.js';
import { loadBootFixture, scenarioResult } from '../helpers/fixtures.js';

// A real systemd boot (test/fixtures/boots/systemd-bookworm.json says how it was captured): Debian bookworm minbase
// booted with boot-budget's ready unit, measured as the core measures a pass.
const { trace } = loadBootFixture('systemd-bookworm');
const m = measurePass(trace, []);
const stages = judgeStages([m], ['firmware', 'kernel', 'userspace', 'shutdown', 'total'], []);
const placed = m.units.filter((u) => u.activating !== null && u.active !== null && u.ms > 0);

interface Group {
  '@_class': string;
  title: string;
  text: Array<string | { '#text': string }>;
  rect: { '@_x': string; '@_fill': string };
}

function groupsOf(result: ScenarioResult): Group[] {
  const svg = renderSvg({ version: 1, scenarios: [result] });
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
  return doc.svg.g as Group[];
}
const labelOf = (g: Group) => {
  const first = g.text[0]!;
  return typeof first === 'string' ? first : first['#text'];
};

describe('SVG boot chart of a systemd boot (systemd-bookworm)', () => {
  const groups = groupsOf(scenarioResult('debian-systemd', stages, { units: m.units, systemd: m.systemd! }));

  it('draws the slowest units as bars right under userspace, slowest first, critical-chain units marked', () => {
    expect(placed.length).toBeGreaterThan(CHART_UNITS);
    const units = groups.filter((g) => g['@_class'] === 'unit');
    expect(units.map(labelOf)).toEqual(
      placed.slice(0, CHART_UNITS).map((u) => `unit ${u.name}${u.critical ? ' *' : ''}`.replace(/^(.{43}).+$/, '$1…')),
    );
    // The fixture's slowest unit, as the terminal lists it first.
    expect(units.map(labelOf)[0]).toBe('unit dev-nvme0n1.device');
    // Under userspace: the unit rows follow userspace's own rows and come before the next stage.
    const classes = groups.map((g) => `${g['@_class']}:${g['@_class'] === 'stage' ? labelOf(g) : ''}`);
    const userspace = classes.indexOf('stage:userspace');
    const firstUnit = classes.indexOf('unit:');
    expect(userspace).toBeGreaterThanOrEqual(0);
    expect(firstUnit).toBeGreaterThan(userspace);
    expect(classes.slice(firstUnit + CHART_UNITS).find((c) => c.startsWith('stage:'))).toBe('stage:shutdown');
    expect(classes.slice(userspace + 1, firstUnit + CHART_UNITS).every((c) => !c.startsWith('stage:'))).toBe(true);
    // Critical-chain units are drawn darker, and at least one of the ten is on the chain.
    const critical = units.filter((g) => labelOf(g).endsWith(' *'));
    expect(critical.length).toBeGreaterThan(0);
    for (const g of units) expect(g.rect['@_fill']).toBe(labelOf(g).endsWith(' *') ? '#00897b' : '#80cbc4');
    // One pass: a unit shows its time to start, with no ± spread.
    expect(units[0]!.title).toMatch(/^unit dev-nvme0n1\.device: [\d.]+ (ms|s) · [\d.]+%$/);
  });

  it('shows a unit named with markup or terminal escapes as inert text', () => {
    const hostile = [
      { ...placed[0]!, name: '<script>alert(1)</script>.service', ms: 1e6 },
      { ...placed[0]!, name: '\u001b[31mred\u001b[0m\u001b]0;owned\u0007\u202eevil.service', ms: 9e5 },
    ];
    const result = scenarioResult('debian-systemd', stages, { units: [...hostile, ...m.units] });
    const svg = renderSvg({ version: 1, scenarios: [result] });
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('unit &lt;script&gt;alert(1)&lt;/script&gt;.service');
    expect(svg).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(svg).toContain('unit red\\u202eevil.service');
    const labels = groupsOf(result)
      .filter((g) => g['@_class'] === 'unit')
      .map(labelOf);
    expect(labels.slice(0, 2)).toEqual(['unit <script>alert(1)</script>.service', 'unit red\\u202eevil.service']);
  });
});
