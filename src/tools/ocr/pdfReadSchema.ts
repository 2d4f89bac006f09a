import { z } from "zod";
import type { PdfRead } from "./readPdf.ts";

/** What the PDF worker thread posts back (structured clone turns Buffers into Uint8Arrays). */
export const pdfReadSchema: z.ZodType<PdfRead> = z.union([
  z.object({
    ok: z.literal(true),
    totalPages: z.number(),
    pages: z.array(
      z.union([
        z.object({ text: z.string() }),
        z.object({
          image: z.instanceof(Uint8Array).transform((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
        }),
        z.object({ empty: z.literal(true) }),
      ]),
    ),
  }),
  z.object({ ok: z.literal(false), problem: z.enum(["encrypted", "corrupt"]) }),
]);
