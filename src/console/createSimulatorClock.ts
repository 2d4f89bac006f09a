/**
 * The simulator's conversation clock: real time plus an offset the operator moves forward ("+25 h")
 * to see the 24-hour window close and follow-ups fire. In memory: a restart goes back to real time.
 */
export function createSimulatorClock(realNow: () => number = Date.now) {
  let offsetMs = 0;
  return {
    now: () => new Date(realNow() + offsetMs),
    offsetMs: () => offsetMs,
    advance(ms: number): void {
      offsetMs += ms;
    },
  };
}
export type SimulatorClock = ReturnType<typeof createSimulatorClock>;
