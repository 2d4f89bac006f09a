/** A FEBRABAN utility ("arrecadação") digitable line: 4 blocks of 11 digits, each followed by its check digit. */
export type DigitableLine = { digits: string; amountBrl: number; checked: boolean };

/**
 * The digitable line printed under the barcode, and the amount it encodes (digits 5–15 of the 44-digit
 * barcode, in cents). `checked` says every block's check digit matched (modulo 10 or 11, chosen by the
 * line's third digit): an OCR misread almost always breaks one, so a checked amount can be trusted over
 * any label. Lines OCR split with spaces, dashes or dots are accepted.
 */
export function readDigitableLine(text: string): DigitableLine | undefined {
  let best: DigitableLine | undefined;
  for (const m of text.matchAll(/8\d{2}[\d .-]{44,70}/g)) {
    const digits = m[0].replace(/\D/g, "").slice(0, 48);
    if (digits.length < 48) continue;
    const blocks = [0, 1, 2, 3].map((i) => digits.slice(i * 12, i * 12 + 12));
    const modulo = digits[2] === "6" || digits[2] === "7" ? mod10 : mod11;
    const checked = blocks.every((b) => modulo(b.slice(0, 11)) === Number(b[11]));
    const barcode = blocks.map((b) => b.slice(0, 11)).join("");
    const line = { digits, amountBrl: Number(barcode.slice(4, 15)) / 100, checked };
    if (checked) return line;
    best ??= line;
  }
  return best;
}

function mod10(block: string): number {
  let sum = 0;
  for (let i = block.length - 1, w = 2; i >= 0; i--, w = w === 2 ? 1 : 2) {
    const p = Number(block[i]) * w;
    sum += p > 9 ? p - 9 : p;
  }
  return (10 - (sum % 10)) % 10;
}

function mod11(block: string): number {
  let sum = 0;
  for (let i = block.length - 1, w = 2; i >= 0; i--, w = w === 9 ? 2 : w + 1) sum += Number(block[i]) * w;
  const rest = sum % 11;
  return rest === 0 || rest === 1 ? 0 : rest === 10 ? 1 : 11 - rest;
}
