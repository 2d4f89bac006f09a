import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Config } from "./loadConfig.ts";

const secretsSchema = z.object({
  WHATSAPP_APP_SECRET: z.string().min(16),
  WHATSAPP_VERIFY_TOKEN: z.string().min(16),
  ADMIN_TOKEN: z.string().min(16),
});
export type LocalSecrets = z.infer<typeof secretsSchema>;

export function localSecretsPath(dataDir: string): string {
  return join(dataDir, "secrets.json");
}

/** Reads the generated development secrets, if any (scripts use this to sign webhooks). */
export function readLocalSecrets(dataDir: string): LocalSecrets | undefined {
  try {
    return secretsSchema.parse(JSON.parse(readFileSync(localSecretsPath(dataDir), "utf8")));
  } catch {
    return undefined;
  }
}

/**
 * Outside production, secrets that are not configured are generated once and kept under DATA_DIR
 * (mode 0600), so `npm start` needs no accounts and restarts keep the same webhook secret.
 */
export function withLocalSecrets(config: Config): Config {
  if (config.NODE_ENV === "production") return config;
  if (config.WHATSAPP_APP_SECRET && config.WHATSAPP_VERIFY_TOKEN && config.ADMIN_TOKEN) return config;
  let secrets = readLocalSecrets(config.DATA_DIR);
  if (!secrets) {
    const gen = () => randomBytes(24).toString("hex");
    secrets = { WHATSAPP_APP_SECRET: gen(), WHATSAPP_VERIFY_TOKEN: gen(), ADMIN_TOKEN: gen() };
    mkdirSync(config.DATA_DIR, { recursive: true });
    // Exclusive create: never overwrite a file that is there but unreadable, never follow a
    // symlink planted in its place.
    const path = localSecretsPath(config.DATA_DIR);
    try {
      writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    } catch (err) {
      throw new Error(`${path} exists but cannot be read as secrets: fix or remove it`, { cause: err });
    }
  }
  return Object.freeze({
    ...config,
    WHATSAPP_APP_SECRET: config.WHATSAPP_APP_SECRET ?? secrets.WHATSAPP_APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: config.WHATSAPP_VERIFY_TOKEN ?? secrets.WHATSAPP_VERIFY_TOKEN,
    ADMIN_TOKEN: config.ADMIN_TOKEN ?? secrets.ADMIN_TOKEN,
  });
}
