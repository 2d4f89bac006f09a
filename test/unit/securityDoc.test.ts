import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { z } from "zod";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");

test("SECURITY.md lists every production dependency with the installed version and its licence", () => {
  const pkg = z
    .object({
      dependencies: z.record(z.string(), z.string()),
      optionalDependencies: z.record(z.string(), z.string()).default({}),
    })
    .parse(JSON.parse(read("package.json")));
  const listed = new Map(
    [
      ...read("SECURITY.md").matchAll(/^\| (@?[\w./-]+)(?: \(optional\))? \| (\d[\w.-]*) \| ([\w.-]+) \|$/gm),
    ].map((m) => [m[1], { version: m[2], licence: m[3] }]),
  );
  const names = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)].sort();
  assert.deepEqual([...listed.keys()].sort(), names, "the table names exactly the production dependencies");
  for (const name of names) {
    const installed = z
      .object({ version: z.string(), license: z.string() })
      .parse(JSON.parse(read(`node_modules/${name}/package.json`)));
    assert.deepEqual(listed.get(name), { version: installed.version, licence: installed.license }, name);
  }
});
