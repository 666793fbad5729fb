/**
 * Spreads intervals over as few lanes as it takes so that no two intervals in one lane overlap (touching ends are
 * fine). Perfetto requires this of the slices on one thread track, and the HTML timeline draws one row per lane.
 * Greedy by start time: each interval goes to the first lane that is free by then, which uses the fewest lanes.
 */
export function assignLanes<T>(items: readonly T[], start: (item: T) => number, end: (item: T) => number): T[][] {
  const lanes: { endT: number; items: T[] }[] = [];
  for (const item of [...items].sort((a, b) => start(a) - start(b))) {
    const lane = lanes.find((l) => l.endT <= start(item));
    if (lane) {
      lane.items.push(item);
      lane.endT = end(item);
    } else lanes.push({ endT: end(item), items: [item] });
  }
  return lanes.map((l) => l.items);
}
