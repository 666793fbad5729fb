import { formatMs } from '../scenario/duration.js';
import type { ProgressEvent, Reporter } from './reporter.js';
import { renderScenario } from './terminal.js';
import type { Style } from './style.js';

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * The reporter of the CLI and the Action's log: progress on stderr (one live line on a terminal, plain lines in CI
 * logs), and each scenario's chart and table (terminal.ts) on stdout as soon as it is done.
 */
export class TerminalReporter implements Reporter {
  private liveLine = false;
  /** Passes booted and not yet ready, with the stage each is in: virtual-clock passes run several at once. */
  private readonly running = new Map<string, string>();
  private lastArtifactLine = Date.now();

  constructor(
    private readonly out: Stream,
    private readonly err: Stream,
    private readonly style: Style,
  ) {}

  progress(event: ProgressEvent): void {
    const name = event.scenario.name;
    switch (event.type) {
      case 'scenario-start':
        this.line(`[${event.index + 1}/${event.count}] ${name} (${event.scenario.displayFile})`);
        break;
      case 'artifact':
        this.line(`  ${name}: ${event.message}`);
        break;
      case 'artifact-progress':
        // Live on a terminal; in CI logs, one line every 30 s is enough to show the build is alive.
        if (this.err.isTTY) this.live(`  ${name}: ${event.message}`);
        else if (Date.now() - this.lastArtifactLine > 30_000) {
          this.lastArtifactLine = Date.now();
          this.line(`  ${name}: ${event.message}`);
        }
        break;
      case 'accel':
        // The report repeats the whole warning beside the figures it is about; here, early, one line says so.
        if (event.warning)
          this.line(
            `  ${name}: accelerator ${event.accel}: ${this.style.yellow('KVM is unusable here')} (the report says why)`,
          );
        else this.line(`  ${name}: accelerator ${event.accel}`);
        break;
      case 'pass-start':
      case 'pass-stage': {
        const pass = `${event.side ? `${event.side} ` : ''}${event.warmup ? 'warm-up' : 'pass'} ${event.pass}/${event.of}`;
        this.running.set(pass, event.type === 'pass-stage' ? event.stage : 'starting');
        if (this.err.isTTY) {
          const all = [...this.running].map(([p, stage]) => `${p} · ${stage}`).join(', ');
          this.live(`  ${name}: ${this.running.size > 1 ? `${this.running.size} running: ` : ''}${all}`);
        }
        break;
      }
      case 'pass-end': {
        const pass = `${event.side ? `${event.side} ` : ''}${event.warmup ? 'warm-up' : 'pass'} ${event.pass}/${event.of}`;
        this.running.delete(pass);
        const clock = event.scenario.clock === 'virtual' ? ' of virtual time' : '';
        const others = this.running.size ? ` (${this.running.size} still running)` : '';
        this.line(
          `  ${name}${event.side ? ` ${event.side}` : ''}: ${event.warmup ? 'warm-up' : 'pass'} ${event.pass}/${event.of} ready in ${event.totalMs === null ? '?' : formatMs(event.totalMs)}${clock}${others}`,
        );
        break;
      }
      case 'scenario-end':
        this.running.clear();
        this.clearLive();
        this.out.write(`\n${renderScenario(event.result, this.style)}\n\n`);
        break;
    }
  }

  private live(text: string): void {
    this.err.write(`\r\u001b[K${text}`);
    this.liveLine = true;
  }

  private clearLive(): void {
    if (this.liveLine) this.err.write('\r\u001b[K');
    this.liveLine = false;
  }

  private line(text: string): void {
    this.clearLive();
    this.err.write(`${text}\n`);
  }
}
