import pino, { type Logger } from "pino";
import { redactText, redactValue } from "../shared/redact.ts";

/** JSON logs to stdout; phone numbers, CPF and tokens are masked in every field and message. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
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
    destination,
  );
}
