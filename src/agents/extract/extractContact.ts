const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;

/** The first well-formed e-mail address in the text, lowercased. */
export function extractEmail(text: string): string | undefined {
  return EMAIL.exec(text)?.[0]?.toLowerCase();
}

/**
 * A Brazilian phone number in any common writing ("(11) 98765-4321", "+55 11 98765 4321",
 * "11987654321"), as E.164 digits with the country code (5511987654321).
 */
export function extractPhoneBr(text: string): string | undefined {
  for (const m of text.matchAll(/\+?[\d\s().-]{10,20}/g)) {
    let digits = m[0].replace(/\D/g, "");
    if (digits.startsWith("55") && (digits.length === 12 || digits.length === 13)) digits = digits.slice(2);
    if (digits.startsWith("0")) digits = digits.slice(1);
    const ddd = Number(digits.slice(0, 2));
    const local = digits.slice(2);
    if (ddd < 11 || ddd > 99) continue;
    if ((local.length === 9 && local.startsWith("9")) || (local.length === 8 && /^[2-5]/.test(local))) {
      return `55${digits}`;
    }
  }
  return undefined;
}
