/**
 * `disk: {image, format}`: the user's own disk image, attached with QEMU's `snapshot=on`, so guest writes go to a
 * throw-away overlay and the file stays byte-identical whatever the guest does, failed runs included. Not cached: it
 * is used in place.
 */
import { access, constants } from 'node:fs/promises';
import { basename } from 'node:path';
import { InfraError } from '../../errors.js';
import type { RootfsSource } from '../types.js';
import { chooseRootDevice } from './root-device.js';

export const diskRootfs: RootfsSource<{ kind: 'disk'; image: string; format: 'raw' | 'qcow2' }> = {
  kind: 'disk',
  async build(spec, scenario, _ctx, kernel) {
    try {
      await access(spec.image, constants.R_OK);
    } catch {
      throw new InfraError(`disk image ${spec.image} cannot be read.`);
    }
    if (scenario.boot === 'disk') {
      // Booted through its own firmware and loader: OVMF and SeaBIOS both boot NVMe, and Linux has it built in
      // (Debian's cloud kernel builds virtio-blk as a module, so a virtio disk would be invisible to an image
      // without an initramfs).
      const firmware = scenario.firmware === 'bios' ? 'bios' : 'uefi';
      return {
        drives: [{ path: spec.image, format: spec.format, interface: 'nvme' }],
        agent: false,
        wholeDisk: { firmware },
        description: `disk ${basename(spec.image)} (${spec.format}, snapshot=on: never written), booted by ${firmware === 'uefi' ? 'OVMF' : 'SeaBIOS'} through its own loader`,
      };
    }
    const root = await chooseRootDevice(kernel, scenario.machine);
    return {
      drives: [{ path: spec.image, format: spec.format, interface: root.interface }],
      cmdline: [`root=${root.device}`, 'rootwait'],
      // Whether the image runs boot-budget's agent is up to its init (point `init=` at it); the markers tell.
      agent: false,
      rootDevice: `${root.device} via ${root.reason}`,
      description: `disk ${basename(spec.image)} (${spec.format}, snapshot=on: never written) · root ${root.device} via ${root.reason}`,
    };
  },
};
