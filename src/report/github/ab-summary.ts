/** The A/B lines of a scenario's summary section: both sides side by side, and the pass count's reason. */
import type { ScenarioResult } from '../../judge/types.js';
import { formatMs } from '../../scenario/duration.js';
import { formatDelta, formatP, settingsLine } from '../compare.js';

const esc = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function abNote(s: ScenarioResult): string {
  const out: string[] = [];
  const c = s.comparison;
  if (c && s.baseline) {
    const rows = [
      '| stage | A (baseline) median | B (scenario) median | Δ | p | verdict |',
      '|---|---:|---:|---:|---:|---|',
    ];
    for (const st of c.stages) {
      const d = formatDelta(st);
      rows.push(
        `| ${st.stage} | ${formatMs(st.base.median)} | ${formatMs(st.head.median)} | ${d.ms} (${d.pct}) | ${formatP(st.pValue)} | ${st.verdict === 'regression' ? '❌ regression' : st.verdict === 'improvement' ? '🟢 improvement' : st.withinNoise ? 'no change (within noise)' : 'no change'} |`,
      );
    }
    out.push(
      `**A/B in this job**, passes interleaved A B, B A, …, ${s.passes} per side. A: ${esc(s.baseline.kernel ?? '?')} · ${esc(s.baseline.rootfs ?? '?')}. B: ${esc(s.kernel ?? '?')} · ${esc(s.rootfs ?? '?')}.`,
      rows.join('\n'),
      `<sub>${esc(settingsLine(c))}</sub>`,
    );
  }
  const a = s.adaptive;
  if (a?.reasons.length) {
    out.push(
      (a.settled
        ? `Took ${a.passes} passes instead of ${a.planned}, because these were within noise: `
        : `Stopped at max-passes (${a.maxPasses}) with these still within noise: `) + a.reasons.map(esc).join('; '),
    );
  }
  return out.join('\n\n');
}
