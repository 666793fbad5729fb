/**
 * Hints from a systemd image's unit names, as data (the same table format as hints.ts, whose interpreter reads them).
 * Each matches units by name; their time to start adds up, and a unit still waiting at ready (a queued job) counts
 * from the moment userspace started. Thresholds are above what a unit doing nothing costs under TCG here.
 */
import type { HintRule } from '../hints.js';

export const UNIT_HINTS: readonly HintRule[] = [
  {
    id: 'wait-online',
    stage: 'userspace',
    patterns: [{ kind: 'unit', unit: /^(systemd-networkd|NetworkManager)-wait-online\.service$/ }],
    threshold: { minMs: 20 },
    advice:
      'A wait-online service holds network-online.target until every managed link is configured, and everything ordered after it waits too; in a VM without the network it expects, it waits for its timeout (2 min for systemd-networkd).',
    try: 'mask systemd-networkd-wait-online.service / NetworkManager-wait-online.service, or give it --any / --interface= the guest really has',
  },
  {
    id: 'root-fsck',
    stage: 'userspace',
    patterns: [{ kind: 'unit', unit: /^systemd-fsck-root\.service$|^systemd-fsck@.*\.service$/ }],
    threshold: { minMs: 20 },
    advice:
      'systemd checks the root file system before remounting it read-write; an image built fresh for each boot has nothing to repair.',
    try: 'fsck.mode=skip on the kernel command line, or set the fstab pass number of / to 0',
  },
  {
    id: 'random-seed',
    stage: 'userspace',
    patterns: [{ kind: 'unit', unit: /^systemd-random-seed\.service$|^haveged\.service$|^rng-tools.*\.service$/ }],
    threshold: { minMs: 50 },
    advice:
      'Loading and saving the random seed, or waiting for entropy: a fresh VM has no seed worth keeping, and early getrandom() blocks until the kernel has credited enough entropy.',
    try: 'random.trust_cpu=on (or a virtio-rng device), and mask systemd-random-seed.service where the image is thrown away after each boot',
  },
  {
    id: 'apt-timers',
    stage: 'userspace',
    patterns: [
      { kind: 'unit', unit: /^(apt-daily|apt-daily-upgrade|man-db|dpkg-db-backup|e2scrub_all|logrotate)\.service$/ },
    ],
    threshold: { minMs: 20 },
    advice:
      'A maintenance timer fired in the boot window (its Persistent= timer catches up on a first boot) and competes with the boot for the CPU and the disk.',
    try: 'systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer in the image, or disable them for CI images',
  },
  {
    id: 'serial-getty',
    stage: 'userspace',
    patterns: [{ kind: 'unit', unit: /^serial-getty@.*\.service$/, waiting: true }],
    threshold: {},
    advice:
      'A serial getty is queued for a console device the guest does not have (systemd-getty-generator adds one per console= on the command line); its job waits for the device until the timeout (90 s), and anything ordered after it too.',
    try: 'drop the console= entry the machine has no device for, or mask serial-getty@<tty>.service',
  },
];
