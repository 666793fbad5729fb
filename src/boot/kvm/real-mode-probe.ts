import { constants } from 'node:fs';
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPass } from '../pass-runner.js';
import { trackTempDir } from '../processes.js';

/**
 * The cheap first step of the KVM proof: can /dev/kvm be opened, and does a real-mode guest run under it?
 *
 * A 512-byte real-mode boot sector: `mov al,0x31; out 0xf4,al; cli; hlt; jmp $-3`. With isa-debug-exit on port
 * 0xf4, QEMU exits with status (0x31 << 1) | 1 = 99. Seeing /dev/kvm is not enough, and neither is this: a
 * paravirtual KVM has been measured to run this sector to the end and then hang every real kernel, so a passing probe
 * only lets the kernel proof (kernel-proof.ts) run.
 */
export const PROBE_EXIT_STATUS = 99;
const PROBE_TIMEOUT_MS = 2500;

export function probeBootSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from([0xb0, 0x31, 0xe6, 0xf4, 0xfa, 0xf4, 0xeb, 0xfd]).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

export type KvmProbe = { usable: true; ms: number } | { usable: false; reason: string };

export const KVM_HOWTO = [
  'To use KVM on GitHub-hosted Linux runners, let the runner user open /dev/kvm before boot-budget runs:',
  '  echo \'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\' | sudo tee /etc/udev/rules.d/99-kvm4all.rules',
  '  sudo udevadm control --reload-rules && sudo udevadm trigger --name-match=kvm',
  'Elsewhere, the host needs hardware virtualisation (VT-x/AMD-V) enabled and the kvm_intel or kvm_amd module loaded.',
].join('\n');

/** Step zero: the device node, which answers at once where it is missing or closed to this user. */
export async function kvmDevice(device = '/dev/kvm'): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await access(device, constants.R_OK | constants.W_OK);
    return { ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason:
        code === 'ENOENT'
          ? `${device} does not exist`
          : `${device} exists but cannot be opened for read and write (${code})`,
    };
  }
}

export async function probeKvm(qemuBinary: string, device = '/dev/kvm'): Promise<KvmProbe> {
  const opened = await kvmDevice(device);
  if (!opened.ok) return { usable: false, reason: opened.reason };

  const dir = await mkdtemp(join(tmpdir(), 'boot-budget-probe-'));
  const release = trackTempDir(dir);
  try {
    const image = join(dir, 'probe.img');
    await writeFile(image, probeBootSector());
    const trace = await runPass(
      {
        file: qemuBinary,
        args: [
          '-nodefaults',
          '-no-user-config',
          '-display',
          'none',
          '-machine',
          'pc',
          '-accel',
          'kvm',
          '-device',
          'isa-debug-exit,iobase=0xf4,iosize=0x04',
          '-drive',
          `file=${image},format=raw,if=floppy,readonly=on`,
          '-boot',
          'a',
        ],
        cmdline: '',
      },
      { accel: 'kvm', timeoutMs: PROBE_TIMEOUT_MS },
    );
    const { outcome } = trace;
    if (outcome.kind === 'exited' && outcome.code === PROBE_EXIT_STATUS) return { usable: true, ms: trace.exitT ?? 0 };
    if (outcome.kind === 'timeout') {
      return {
        usable: false,
        reason: `${device} opens, but a 512-byte test guest did not finish within ${PROBE_TIMEOUT_MS} ms under KVM (it takes ~0.2 s); this KVM cannot run guests`,
      };
    }
    const detail = trace.stderrTail.split('\n').filter(Boolean).pop();
    return {
      usable: false,
      reason: `a 512-byte test guest under KVM ended with ${outcome.kind === 'exited' ? `status ${outcome.code}` : outcome.kind}${detail ? `: ${detail}` : ''}`,
    };
  } finally {
    release();
  }
}
