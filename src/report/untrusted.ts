/**
 * Console text is the guest's, and a scenario from a pull request chooses what the guest prints: ANSI escapes that
 * recolour or clear a terminal, carriage returns that overwrite a line, bidirectional overrides that make a line read
 * differently than it is (systemd's own status lines carry colour escapes). Every report shows it through here:
 * colour and cursor sequences (CSI, OSC) are dropped, since they carry no text, and any other control character or
 * bidi override is shown as a `\xNN` / `\uNNNN` escape, so people read what the guest wrote without the terminal,
 * browser or CI log obeying it. The Action adds its workflow-command guard on top (src/action/sanitize.ts).
 *
 * Results are neutralised once, when the core builds them and when a results file is read, so the terminal chart,
 * JSON, SVG, JUnit, job summary and HTML report all show the same safe text; the JSON keeps the guest's original of a
 * changed span edge in `raw`.
 */
import type { ScenarioResult } from '../judge/types.js';
import type { Span } from '../measure/types.js';
import type { PassTimeline } from '../measure/pass-timeline.js';

// CSI (ESC [ … final byte) and OSC (ESC ] … BEL or ESC \), the sequences terminals act on; 8-bit CSI too.
const ESCAPE_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
// C0 except \t, DEL, C1, and the bidirectional embeddings, overrides and isolates.
export const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControl(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of guest text, safe to show anywhere. */
export function neutraliseConsoleText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, escapeControl);
}

function safeSpan(span: Span): Span & { raw?: { from: string; to: string } } {
  const from = neutraliseConsoleText(span.from);
  const to = neutraliseConsoleText(span.to);
  if (from === span.from && to === span.to) return span;
  return { ...span, from, to, raw: { from: span.from, to: span.to } };
}

/** The result with every text that came from the guest neutralised. */
export function neutraliseResult(result: ScenarioResult): ScenarioResult {
  const text = neutraliseConsoleText;
  return {
    ...result,
    stages: result.stages.map((stage) => ({
      ...stage,
      span: stage.span ? safeSpan(stage.span) : null,
      ...(stage.hints ? { hints: stage.hints.map((h) => ({ ...h, evidence: text(h.evidence) })) } : {}),
    })),
    ...(result.error ? { error: result.error.split('\n').map(text).join('\n') } : {}),
    ...(result.units ? { units: result.units.map((u) => ({ ...u, name: text(u.name) })) } : {}),
    ...(result.systemd
      ? {
          systemd: {
            ...result.systemd,
            ...(result.systemd.target ? { target: text(result.systemd.target) } : {}),
            ...(result.systemd.criticalChain
              ? { criticalChain: result.systemd.criticalChain.map((l) => ({ ...l, name: text(l.name) })) }
              : {}),
            ...(result.systemd.surgery
              ? { surgery: result.systemd.surgery.map((c) => ({ ...c, name: text(c.name) })) }
              : {}),
            ...(result.systemd.waiting ? { waiting: result.systemd.waiting.map(text) } : {}),
            ...(result.systemd.problems ? { problems: result.systemd.problems.map(text) } : {}),
          },
        }
      : {}),
    ...(result.timeline ? { timeline: safeTimeline(result.timeline) } : {}),
    ...(result.baseline?.timeline
      ? { baseline: { ...result.baseline, timeline: safeTimeline(result.baseline.timeline) } }
      : {}),
  };
}

/** Each pass's timeline (both sides of an A/B have one) with its guest text neutralised. */
function safeTimeline(timeline: readonly PassTimeline[]): PassTimeline[] {
  return timeline.map((pass) => ({
    ...pass,
    stages: pass.stages.map((s) => ({ ...s, span: s.span ? safeSpan(s.span) : null })),
    events: pass.events.map((e) => ({ ...e, text: neutraliseConsoleText(e.text) })),
    ...(pass.units ? { units: pass.units.map((u) => ({ ...u, name: neutraliseConsoleText(u.name) })) } : {}),
  }));
}
