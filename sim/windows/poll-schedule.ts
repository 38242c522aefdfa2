/**
 * The DMClient poll schedule (dmclient-csp.md, Provider/<id>/Poll): a first set of
 * `NumberOfFirstRetries` polls every `IntervalForFirstSetOfRetries` minutes, then the second set,
 * then the remaining set. A count of 0 with a non-zero interval repeats that set forever ("the
 * schedule will be set to repeat an infinite number of times"); an interval of 0 skips the set.
 * Returns the minutes before poll number `index` (0-based), or undefined when the schedule is over.
 */
export function pollDelayMinutes(poll: ReadonlyMap<string, string>, index: number): number | undefined {
  const number = (name: string) => {
    const value = Number(poll.get(name) ?? '0');
    return Number.isFinite(value) && value > 0 ? value : 0;
  };
  const sets: [number, number][] = [
    [number('NumberOfFirstRetries'), number('IntervalForFirstSetOfRetries')],
    [number('NumberOfSecondRetries'), number('IntervalForSecondSetOfRetries')],
    [number('NumberOfRemainingScheduledRetries'), number('IntervalForRemainingScheduledRetries')],
  ];
  let left = index;
  for (const [count, interval] of sets) {
    if (interval === 0) continue;
    if (count === 0 || left < count) return interval;
    left -= count;
  }
  return undefined;
}
