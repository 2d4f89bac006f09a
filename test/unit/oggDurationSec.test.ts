import assert from "node:assert/strict";
import { test } from "node:test";
import { oggDurationSec } from "../../src/tools/transcribe/oggDurationSec.ts";

/** One Ogg page: the 27-byte header, a segment table laced for `body`, then `body` (CRC left zero: not read). */
function page(opts: {
  granule: bigint;
  body: Buffer;
  serial?: number;
  sequence?: number;
  flags?: number;
}): Buffer {
  const lacing: number[] = [];
  let left = opts.body.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const header = Buffer.alloc(27);
  header.write("OggS", 0, "latin1");
  header[4] = 0;
  header[5] = opts.flags ?? 0;
  header.writeBigInt64LE(opts.granule, 6);
  header.writeUInt32LE(opts.serial ?? 0x1234, 14);
  header.writeUInt32LE(opts.sequence ?? 0, 18);
  header[26] = lacing.length;
  return Buffer.concat([header, Buffer.from(lacing), opts.body]);
}

function opusHead(preSkip: number): Buffer {
  const b = Buffer.alloc(19);
  b.write("OpusHead", 0, "latin1");
  b[8] = 1;
  b[9] = 1;
  b.writeUInt16LE(preSkip, 10);
  b.writeUInt32LE(16_000, 12); // the original input rate: informational, granules still count at 48 kHz
  return b;
}

const tags = Buffer.concat([Buffer.from("OpusTags", "latin1"), Buffer.alloc(12)]);
const audio = (n: number) => Buffer.alloc(n, 0x5a);

/** A voice note as WhatsApp writes it: OpusHead page, OpusTags page, then audio pages. */
function voiceNote(preSkip: number, granules: bigint[]): Buffer {
  return Buffer.concat([
    page({ granule: 0n, body: opusHead(preSkip), flags: 0x02 }),
    page({ granule: 0n, body: tags, sequence: 1 }),
    ...granules.map((g, i) =>
      page({ granule: g, body: audio(600), sequence: i + 2, flags: i === granules.length - 1 ? 0x04 : 0 }),
    ),
  ]);
}

test("Opus: last granule minus pre-skip, at 48 kHz", () => {
  assert.equal(oggDurationSec(voiceNote(312, [48_000n * 5n + 312n, 48_000n * 12n + 312n])), 12);
  assert.equal(oggDurationSec(voiceNote(3840, [3840n + 24_000n])), 0.5);
  // Ten minutes: bodies over 255 bytes need several lacing values.
  const long = Buffer.concat([
    page({ granule: 0n, body: opusHead(0) }),
    page({ granule: 48_000n * 600n, body: audio(1000), sequence: 1 }),
  ]);
  assert.equal(oggDurationSec(long), 600);
});

test("a page on which no packet ends (granule -1) does not reset the position", () => {
  assert.equal(oggDurationSec(voiceNote(0, [48_000n * 7n, -1n])), 7);
});

test("a truncated last page is not trusted; a file cut inside a header neither", () => {
  const full = voiceNote(0, [48_000n * 3n, 48_000n * 9n]);
  assert.equal(oggDurationSec(full.subarray(0, full.length - 10)), 3);
  assert.equal(oggDurationSec(full.subarray(0, full.length - 600 - 20)), 3);
});

test("'OggS' inside audio data is not taken for a page", () => {
  const fake = page({ granule: 48_000n * 3600n, body: audio(10) });
  const body = Buffer.concat([audio(50), fake, audio(50)]);
  const file = Buffer.concat([
    page({ granule: 0n, body: opusHead(0) }),
    page({ granule: 48_000n * 4n, body, sequence: 1 }),
  ]);
  assert.equal(oggDurationSec(file), 4);
});

test("garbage between pages is skipped by resyncing on the next page", () => {
  const file = Buffer.concat([
    page({ granule: 0n, body: opusHead(0) }),
    Buffer.from("not a page at all"),
    page({ granule: 48_000n * 2n, body: audio(100), sequence: 1 }),
  ]);
  assert.equal(oggDurationSec(file), 2);
});

test("only the first logical stream counts (a multiplexed second stream is ignored)", () => {
  const file = Buffer.concat([
    page({ granule: 0n, body: opusHead(0), serial: 1 }),
    page({ granule: 48_000n * 6n, body: audio(100), serial: 1, sequence: 1 }),
    page({ granule: 48_000n * 999n, body: audio(100), serial: 2 }),
  ]);
  assert.equal(oggDurationSec(file), 6);
});

test("Vorbis counts at the rate of its identification header", () => {
  const id = Buffer.alloc(30);
  id[0] = 1;
  id.write("vorbis", 1, "latin1");
  id.writeUInt32LE(44_100, 12);
  const file = Buffer.concat([
    page({ granule: 0n, body: id }),
    page({ granule: 44_100n * 30n, body: audio(100), sequence: 1 }),
  ]);
  assert.equal(oggDurationSec(file), 30);
});

test("not Ogg, an unknown codec, or no position: undefined", () => {
  assert.equal(oggDurationSec(Buffer.alloc(0)), undefined);
  assert.equal(oggDurationSec(Buffer.from("ID3\u0004\u0000\u0000 an mp3 file", "latin1")), undefined);
  assert.equal(oggDurationSec(Buffer.from("#!AMR\n")), undefined);
  const speex = Buffer.concat([
    page({ granule: 0n, body: Buffer.from("Speex   and some header bytes", "latin1") }),
    page({ granule: 48_000n, body: audio(10) }),
  ]);
  assert.equal(oggDurationSec(speex), undefined);
  assert.equal(oggDurationSec(page({ granule: -1n, body: opusHead(0) })), undefined);
  // A Uint8Array view into a larger buffer reads only its own bytes.
  const note = voiceNote(0, [48_000n]);
  const padded = new Uint8Array(note.length + 8);
  padded.set(note, 8);
  assert.equal(oggDurationSec(padded.subarray(8)), 1);
});
