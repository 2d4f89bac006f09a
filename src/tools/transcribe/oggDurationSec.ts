const CAPTURE = Buffer.from("OggS");
const HEADER_BYTES = 27;

/**
 * The playing time of an Ogg Opus (or Ogg Vorbis) file in seconds, read from page headers only —
 * no decoding — so an over-long voice note is refused before it is uploaded anywhere. Pages are
 * walked from the start (each header says how long its page is, so a stray "OggS" inside audio
 * data is never mistaken for a page); the granule position of the last complete page of the first
 * logical stream is its sample count. Opus always counts at 48 kHz and its first `pre-skip`
 * samples are decoder priming, not audio; Vorbis counts at the rate in its identification header.
 * Returns undefined when the bytes are not Ogg, the codec is neither, or no page carries a granule.
 */
export function oggDurationSec(bytes: Uint8Array): number | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let serial: number | undefined;
  let rate: number | undefined;
  let preSkip = 0;
  let lastGranule: bigint | undefined;
  while (offset + HEADER_BYTES <= buf.length) {
    if (!buf.subarray(offset, offset + 4).equals(CAPTURE) || buf[offset + 4] !== 0) {
      // Not a page where the previous one said it would end (damaged or padded file): resync on
      // the next capture pattern rather than give up on the rest.
      const next = buf.indexOf(CAPTURE, offset + 1);
      if (next < 0) break;
      offset = next;
      continue;
    }
    const segments = buf[offset + 26] ?? 0;
    const bodyStart = offset + HEADER_BYTES + segments;
    if (bodyStart > buf.length) break;
    let bodyLength = 0;
    for (let i = offset + HEADER_BYTES; i < bodyStart; i++) bodyLength += buf[i] ?? 0;
    const end = bodyStart + bodyLength;
    // A truncated last page claims samples that are not in the file.
    if (end > buf.length) break;
    const pageSerial = buf.readUInt32LE(offset + 14);
    if (serial === undefined) {
      serial = pageSerial;
      const head = codecOf(buf.subarray(bodyStart, end));
      if (!head) return undefined;
      rate = head.rate;
      preSkip = head.preSkip;
    }
    if (pageSerial === serial) {
      const granule = buf.readBigInt64LE(offset + 6);
      // -1: no packet ends on this page, so it carries no position.
      if (granule >= 0n) lastGranule = granule;
    }
    offset = end;
  }
  if (lastGranule === undefined || rate === undefined || rate <= 0) return undefined;
  const samples = Number(lastGranule) - preSkip;
  return Math.max(0, samples) / rate;
}

function codecOf(firstPacket: Buffer): { rate: number; preSkip: number } | undefined {
  if (firstPacket.length >= 19 && firstPacket.subarray(0, 8).toString("latin1") === "OpusHead") {
    return { rate: 48_000, preSkip: firstPacket.readUInt16LE(10) };
  }
  if (
    firstPacket.length >= 16 &&
    firstPacket[0] === 1 &&
    firstPacket.subarray(1, 7).toString("latin1") === "vorbis"
  ) {
    return { rate: firstPacket.readUInt32LE(12), preSkip: 0 };
  }
  return undefined;
}
