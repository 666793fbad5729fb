/** The HTML report's stylesheet: system fonts only, light and dark. Inlined, like the script, so dist/ carries it. */
export const REPORT_CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fff; --line: #d1d9e0; --stage: #4a7fd4;
  --span: #e08a00; --initcall: #8250df; --unit: #1a7f37; --fail: #cf222e; --warn: #9a6700; --pass: #1a7f37; --tick: #59636e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --stage: #5b8fe6;
  --span: #f0a030; --initcall: #a371f7; --unit: #3fb950; --fail: #f85149; --warn: #d29922; --pass: #3fb950; --tick: #9198a1; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; padding: 1rem 1.5rem; max-width: 1400px; }
code, pre, q, .span { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
h1 { font-size: 1.4rem; margin: 0; } h2 { font-size: 1.2rem; margin: 1.5rem 0 .3rem; } h2 small { color: var(--muted); font-weight: normal; font-size: .8rem; }
.meta { color: var(--muted); margin: .1rem 0; } .note { color: var(--warn); margin: .3rem 0; }
section.scenario { border-top: 1px solid var(--line); margin-top: 1rem; }
table { border-collapse: collapse; margin: .8rem 0; } caption { text-align: left; color: var(--muted); padding: .2rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: left; vertical-align: top; }
td { font-variant-numeric: tabular-nums; } td.span { max-width: 50ch; word-break: break-word; }
.v-pass { color: var(--pass); } .v-fail { color: var(--fail); font-weight: 600; } .v-warn { color: var(--warn); } .v-none { color: var(--muted); }
tr.median th { font-weight: 700; }
.tl { position: relative; margin: .6rem 0; } .tl .controls { display: none; gap: .3rem; align-items: center; flex-wrap: wrap; }
.tl.live .controls { display: flex; } .controls button { font: inherit; padding: 0 .5rem; } .help { color: var(--muted); font-size: 12px; }
svg.timeline { display: block; width: 100%; user-select: none; cursor: grab; font-size: 11px; }
svg.timeline text { fill: var(--fg); } svg.timeline .axis text { fill: var(--muted); }
svg.timeline .grid { stroke: var(--line); stroke-width: 1; }
.item { stroke: none; } .item:focus { outline: none; stroke: var(--fg); stroke-width: 2; }
.stage { fill: var(--stage); } .stage.v-fail { fill: var(--fail); } .stage.v-warn { fill: var(--warn); }
.side-a { fill: none; stroke: var(--fg); stroke-width: 1; stroke-dasharray: 3 2; }
.span { fill: var(--span); } .initcall { fill: var(--initcall); } .unit { fill: var(--unit); opacity: .6; } .unit.critical { opacity: 1; }
.tick { fill: var(--tick); opacity: .7; } .tick.kmsg { fill: var(--initcall); } .tick.host { fill: var(--fg); }
svg.timeline .bar-label { fill: #fff; pointer-events: none; font-size: 11px; }
.budget { stroke-width: 3; stroke: var(--fg); } .budget.under { stroke: var(--pass); }
.tip { position: absolute; z-index: 2; max-width: 640px; white-space: pre-wrap; background: var(--bg); border: 1px solid var(--line);
  box-shadow: 0 2px 8px #0003; padding: .4rem .6rem; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; pointer-events: none; }
details { margin: .5rem 0; } pre { white-space: pre-wrap; word-break: break-word; max-height: 30rem; overflow: auto; }
.hints li { margin-bottom: .4rem; }
`;
