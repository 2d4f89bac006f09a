import pino, { type Logger } from "pino";
import prettyStream from "pino-pretty";
import { redactText, redactValue } from "../shared/redact.ts";

/**
 * Logs to stdout; phone numbers, CPF and tokens are masked in every field and message. JSON lines
 * for machines; with `pretty` (a person at a terminal: LOG_FORMAT=auto and stdout is a TTY) the
 * same lines, already masked, as readable text.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, pretty = false): Logger {
  const out = pretty
    ? prettyStream({
        colorize: destination === undefined,
        sync: true,
        translateTime: "SYS:HH:MM:ss",
        destination: destination ?? 1,
      })
    : destination;
  return pino(
    {
      level,
      base: { service: "whatsapp-agent" },
      formatters: {
        log: (object) => {
          const redacted = redactValue(object);
          return typeof redacted === "object" && redacted !== null ? { ...redacted } : {};
        },
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === "string" ? redactText(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    out,
  );
}
