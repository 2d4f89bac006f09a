import type pg from "pg";
import type { Logger } from "pino";
import { matchDistributor } from "../../agents/extract/matchDistributor.ts";
import type { Config } from "../../config/loadConfig.ts";
import type { LoadedAgent } from "../../content/loadContent.ts";
import { createGraphMediaFetcher, createSandboxMediaFetcher } from "../../whatsapp/fetchGraphMedia.ts";
import { createOcrPool } from "../ocr/createOcrPool.ts";
import { createBillReader } from "../ocr/readBill.ts";
import { createTranscriber } from "../transcribe/createTranscriber.ts";
import { createVisionCheck } from "../vision/checkBillFields.ts";
import { AUDIO_MIMES, BILL_MIMES, type MediaDeps } from "./processMedia.ts";
import { readSandboxMedia } from "./storedMedia.ts";

/**
 * What reading a customer's file takes: the download (Graph or sandbox) with its limits, one warm
 * OCR pool per process (created on the first bill, never per message) reading against every
 * loaded agent's distributor list, and the optional transcription and vision models. A web-only
 * process reads no files: no OCR pool, no media deps.
 */
export function createMediaTools(
  config: Config,
  pool: pg.Pool,
  logger: Logger,
  agents: ReadonlyMap<string, LoadedAgent>,
) {
  const limits = { maxBytes: config.MEDIA_MAX_BYTES, allowedMimes: [...BILL_MIMES, ...AUDIO_MIMES] };
  const ocrPool = config.ROLE !== "web" ? createOcrPool(config.OCR_POOL_SIZE) : undefined;
  const distributors = [
    ...new Map(
      [...agents.values()].flatMap((a) => a.definition.data.distributors).map((d) => [d.name, d]),
    ).values(),
  ];
  const readBill = ocrPool
    ? createBillReader({ pool: ocrPool, distributors, maxPdfPages: config.OCR_MAX_PDF_PAGES })
    : undefined;
  const deps: MediaDeps | undefined = readBill
    ? {
        pool,
        logger,
        fetchMedia: fetcher(config, pool, limits),
        readBill,
        ...optionalModels(config),
        canonicalDistributor: (name) => matchDistributor(name, distributors)?.name,
        retentionDays: config.MEDIA_RETENTION_DAYS,
        turnMaxAttempts: config.TURN_MAX_ATTEMPTS,
      }
    : undefined;
  return { limits, deps, close: async () => ocrPool?.close() };
}

function fetcher(config: Config, pool: pg.Pool, limits: { maxBytes: number; allowedMimes: string[] }) {
  if (!config.WHATSAPP_ACCESS_TOKEN)
    return createSandboxMediaFetcher({ read: (id) => readSandboxMedia(pool, id), limits });
  return createGraphMediaFetcher({
    baseUrl: config.WHATSAPP_GRAPH_BASE_URL,
    accessToken: config.WHATSAPP_ACCESS_TOKEN,
    timeoutMs: config.MEDIA_TIMEOUT_MS,
    allowedHosts: config.MEDIA_ALLOWED_HOSTS,
    limits,
  });
}

/** Voice transcription (TRANSCRIBE_BASE_URL) and the vision check of bill fields (VISION_MODEL). */
function optionalModels(config: Config): Pick<MediaDeps, "transcribe" | "checkVision"> {
  const transcribe = config.TRANSCRIBE_BASE_URL
    ? createTranscriber({
        baseUrl: config.TRANSCRIBE_BASE_URL,
        ...(config.TRANSCRIBE_API_KEY ? { apiKey: config.TRANSCRIBE_API_KEY } : {}),
        model: config.TRANSCRIBE_MODEL,
        timeoutMs: config.MEDIA_TIMEOUT_MS,
        maxDurationSec: config.VOICE_MAX_SECONDS,
        language: "pt",
      })
    : undefined;
  const checkVision =
    config.VISION_MODEL && config.LLM_BASE_URL
      ? createVisionCheck({
          baseUrl: config.LLM_BASE_URL,
          ...(config.LLM_API_KEY ? { apiKey: config.LLM_API_KEY } : {}),
          model: config.VISION_MODEL,
          timeoutMs: config.LLM_TIMEOUT_MS,
        })
      : undefined;
  return { ...(transcribe ? { transcribe } : {}), ...(checkVision ? { checkVision } : {}) };
}
