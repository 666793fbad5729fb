/**
 * What the Action says when scenarios ran under TCG because KVM was wanted and unusable: one warning annotation and
 * one block in the job summary, each naming the scenarios and why KVM was dropped (the step of the KVM proof that
 * failed, what it booted and what it saw). The reason may quote guest console text: it reaches Markdown escaped.
 */
import type { RunResults } from '../../judge/types.js';
import { mdText } from './comment.js';

/** Scenarios whose KVM was dropped, each with its reason, reasons shared by several scenarios listed once. */
function dropped(results: RunResults): Array<{ names: string[]; reason: string }> {
  const byReason = new Map<string, string[]>();
  for (const s of results.scenarios) {
    if (s.accel !== 'tcg' || !s.accelWarning) continue;
    const reason = s.accelReason ?? s.accelWarning;
    byReason.set(reason, [...(byReason.get(reason) ?? []), s.name]);
  }
  return [...byReason].map(([reason, names]) => ({ names, reason }));
}

export const TCG_NOTICE_TITLE = 'boot-budget: emulated timings';

/** The annotation's text, or null when every scenario ran as asked. */
export function tcgFallbackAnnotation(results: RunResults): string | null {
  const reasons = dropped(results);
  if (reasons.length === 0) return null;
  return [
    'KVM is unusable on this runner, so boot-budget fell back to TCG: these timings are emulated and several times slower than under KVM.',
    ...reasons.map((r) => `${r.names.join(', ')}: ${r.reason}`),
  ].join('\n');
}

/** The summary's warning block, or null when no scenario ran under TCG. */
export function tcgFallbackSummary(results: RunResults): string | null {
  if (!results.scenarios.some((s) => s.accel === 'tcg')) return null;
  const lines = [
    '> [!WARNING]',
    '> Some scenarios ran under TCG (software emulation) because KVM was unusable: their timings are emulated and not comparable with KVM runs.',
  ];
  for (const r of dropped(results)) lines.push(`> - ${r.names.map(mdText).join(', ')}: ${mdText(r.reason)}`);
  return lines.join('\n');
}
