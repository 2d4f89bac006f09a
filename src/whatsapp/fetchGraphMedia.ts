import { createHash } from "node:crypto";
import { z } from "zod";
import { GRAPH_API_VERSION } from "./constants.ts";
import { GraphApiError, GraphNetworkError, graphErrorBodySchema } from "./graphErrors.ts";

/** What a media download needs to respect: size, types, hosts, time. */
export type MediaLimits = {
  maxBytes: number;
  /** MIME types accepted (`audio/ogg` matches `audio/ogg; codecs=opus`). */
  allowedMimes: readonly string[];
};

export type FetchedMedia =
  | { ok: true; bytes: Buffer; mimeType: string; sha256: string }
  /** Refused without downloading (or abandoned mid-way): a reason the customer can be told. */
  | {
      ok: false;
      reason: "too_large" | "type_not_allowed" | "not_found" | "host_not_allowed";
      detail: string;
    };

export type MediaFetcher = (input: { mediaId: string; phoneNumberId: string }) => Promise<FetchedMedia>;

// Meta documents file_size as a string; some answers carry a number.
const mediaInfoSchema = z.looseObject({
  url: z.url(),
  mime_type: z.string().min(1),
  sha256: z.string().optional(),
  file_size: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  id: z.string().optional(),
});

export function baseMime(mime: string): string {
  return (mime.split(";")[0] ?? "").trim().toLowerCase();
}

export function mimeAllowed(mime: string, allowed: readonly string[]): boolean {
  const base = baseMime(mime);
  return allowed.some((a) => baseMime(a) === base);
}

/** `.fbsbx.com` allows the domain and its subdomains; a name without a dot prefix is exact. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => (a.startsWith(".") ? h === a.slice(1) || h.endsWith(a) : h === a));
}

/**
 * Downloads a customer's media from the Cloud API: `GET /{media-id}` for a URL valid five minutes,
 * then the file itself with the bearer token and an explicit User-Agent (downloads without one
 * have been reported to fail). Before a byte is downloaded the declared size and type are checked;
 * the URL must be https on one of Meta's media hosts (or the configured Graph host, for tests and
 * proxies); the body is read with a running size cap; Meta's sha256 is checked when given.
 * Network errors and 5xx/429 throw (the job retries); refusals are returned with their reason.
 */
export function createGraphMediaFetcher(options: {
  baseUrl: string;
  accessToken: string;
  timeoutMs: number;
  allowedHosts: readonly string[];
  limits: MediaLimits;
  fetch?: typeof fetch;
}): MediaFetcher {
  const doFetch = options.fetch ?? fetch;
  const graph = new URL(options.baseUrl);
  const base = `${options.baseUrl.replace(/\/+$/, "")}/${GRAPH_API_VERSION}`;
  const headers = {
    authorization: `Bearer ${options.accessToken}`,
    "user-agent": "whatsapp-agent/0.1 (+media download)",
  };
  const get = async (url: string): Promise<Response> => {
    try {
      return await doFetch(url, {
        headers,
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: "error",
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new GraphNetworkError(`media request failed: ${reason}`, false, { cause: err });
    }
  };
  const fail = async (response: Response): Promise<never> => {
    const text = await response.text().catch(() => "");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = graphErrorBodySchema.safeParse(json);
    if (parsed.success)
      throw new GraphApiError(response.status, parsed.data.error.code, parsed.data.error.message);
    throw new GraphApiError(response.status, undefined, `HTTP ${response.status}: ${text.slice(0, 200)}`);
  };

  return async ({ mediaId, phoneNumberId }) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(mediaId)) return { ok: false, reason: "not_found", detail: "bad media id" };
    const lookup = await get(`${base}/${mediaId}?phone_number_id=${encodeURIComponent(phoneNumberId)}`);
    if (lookup.status === 404 || lookup.status === 400) {
      const text = await lookup.text().catch(() => "");
      return {
        ok: false,
        reason: "not_found",
        detail: `media lookup ${lookup.status}: ${text.slice(0, 200)}`,
      };
    }
    if (!lookup.ok) return fail(lookup);
    const info = mediaInfoSchema.safeParse(await lookup.json().catch(() => undefined));
    if (!info.success) throw new GraphApiError(200, undefined, "unexpected media lookup response");
    const { url, mime_type: mimeType, file_size: size, sha256 } = info.data;
    if (!mimeAllowed(mimeType, options.limits.allowedMimes))
      return { ok: false, reason: "type_not_allowed", detail: mimeType };
    if (size !== undefined && size > options.limits.maxBytes)
      return { ok: false, reason: "too_large", detail: `${size} bytes` };
    const target = new URL(url);
    // The Graph host itself (a fake in tests, a proxy) is trusted, over the same scheme only.
    const sameAsGraph = target.host === graph.host && target.protocol === graph.protocol;
    if (!sameAsGraph && (target.protocol !== "https:" || !hostAllowed(target.hostname, options.allowedHosts)))
      return { ok: false, reason: "host_not_allowed", detail: target.host };

    const download = await get(url);
    if (!download.ok) return fail(download);
    const declared = Number(download.headers.get("content-length") ?? "0");
    if (declared > options.limits.maxBytes) {
      await download.body?.cancel();
      return { ok: false, reason: "too_large", detail: `${declared} bytes` };
    }
    const chunks: Buffer[] = [];
    let total = 0;
    if (download.body) {
      for await (const chunk of download.body) {
        total += chunk.byteLength;
        if (total > options.limits.maxBytes) {
          await download.body.cancel().catch(() => undefined);
          return { ok: false, reason: "too_large", detail: `over ${options.limits.maxBytes} bytes` };
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    const bytes = Buffer.concat(chunks);
    const digest = createHash("sha256").update(bytes);
    const hex = digest.digest("hex");
    // Meta's examples show hex; some answers carry base64. Either must match when present.
    if (sha256 && sha256 !== hex && sha256 !== Buffer.from(hex, "hex").toString("base64"))
      throw new GraphApiError(200, undefined, "media download corrupted: sha256 mismatch");
    return { ok: true, bytes, mimeType, sha256: hex };
  };
}

/**
 * The sandbox's media: what the simulator and the story runner "uploaded" for a media id, with the
 * same size and type checks as a real download.
 */
export function createSandboxMediaFetcher(options: {
  read: (mediaId: string) => Promise<{ bytes: Buffer; mimeType: string } | undefined>;
  limits: MediaLimits;
}): MediaFetcher {
  return async ({ mediaId }) => {
    const found = await options.read(mediaId);
    if (!found) return { ok: false, reason: "not_found", detail: `no sandbox media ${mediaId}` };
    if (!mimeAllowed(found.mimeType, options.limits.allowedMimes))
      return { ok: false, reason: "type_not_allowed", detail: found.mimeType };
    if (found.bytes.length > options.limits.maxBytes)
      return { ok: false, reason: "too_large", detail: `${found.bytes.length} bytes` };
    const sha256 = createHash("sha256").update(found.bytes).digest("hex");
    return { ok: true, bytes: found.bytes, mimeType: found.mimeType, sha256 };
  };
}
