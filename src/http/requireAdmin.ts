import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";

/** Bearer-token guard for /admin and /sandbox; compares digests so timing reveals nothing. */
export function requireAdmin(adminToken: string): RequestHandler {
  const expected = createHash("sha256").update(adminToken).digest();
  return (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7) : "";
    const actual = createHash("sha256").update(token).digest();
    if (token && timingSafeEqual(actual, expected)) {
      next();
      return;
    }
    res.status(401).json({ error: "unauthorized" });
  };
}

export function constantTimeEquals(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}
