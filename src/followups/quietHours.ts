/** Quiet hours as operators write them: local "21:00" to "08:00" in a time zone. */
export type QuietHours = { from: string; to: string; time_zone: string };

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** One formatter per time zone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function localMinutes(at: Date, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, format);
  }
  const fields = format.formatToParts(at);
  const parts = Object.fromEntries(fields.map((p) => [p.type, p.value]));
  return Number(parts.hour) * 60 + Number(parts.minute);
}

/** Whether `at` falls in the quiet hours (a window may wrap midnight). */
export function isQuiet(at: Date, quiet: QuietHours): boolean {
  const now = localMinutes(at, quiet.time_zone);
  const from = minutes(quiet.from);
  const to = minutes(quiet.to);
  return from <= to ? now >= from && now < to : now >= from || now < to;
}

/**
 * The first allowed moment at or after `at`: `at` itself outside quiet hours, else the end of the
 * quiet window (local time, to the minute). Pure.
 */
export function nextAllowedTime(at: Date, quiet: QuietHours): Date {
  if (!isQuiet(at, quiet)) return at;
  const now = localMinutes(at, quiet.time_zone);
  const to = minutes(quiet.to);
  const wait = (to - now + 24 * 60) % (24 * 60);
  const next = new Date(at.getTime() + wait * 60_000);
  next.setUTCSeconds(0, 0);
  return next;
}
