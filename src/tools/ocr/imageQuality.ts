import sharp from "sharp";

export type ImageQuality = { brightness: number; sharpness: number; width: number; height: number };

/**
 * Mean brightness (0–255) and sharpness (sharp's Laplacian-based estimate) of the picture, measured
 * on a copy at a fixed size so the figures compare across phone cameras. Used only to explain why a
 * bill could not be read.
 */
export async function imageQuality(image: Buffer): Promise<ImageQuality> {
  const meta = await sharp(image, { failOn: "error" }).metadata();
  const { channels, sharpness } = await sharp(image, { failOn: "error" })
    .rotate()
    .resize({ width: 1000, height: 1000, fit: "inside" })
    .grayscale()
    .stats();
  return {
    brightness: channels[0]?.mean ?? 0,
    sharpness,
    width: meta.width ?? 0,
    height: meta.height ?? 0,
  };
}
