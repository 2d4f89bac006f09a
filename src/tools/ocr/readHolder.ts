import type { BillLine } from "./billText.ts";
import { UFS } from "./ufOfCep.ts";

export type Holder = {
  customerName?: string;
  address?: string;
  cep?: string;
  city?: string;
  state?: string;
  /** The city and state came from a "CEP … City – UF" pattern, not a guess. */
  placeFromCep: boolean;
};

const CEP = /(?<!\d)(\d{5})\s?-\s?(\d{3})(?!\d)/;
const STREET =
  /^(?:rua|r\.|avenida|av\.?|travessa|tv\.|alameda|al\.|rodovia|estrada|praca|largo|quadra|setor|servidao|vila|beco|ladeira|conjunto|sitio|fazenda|chacara|linha)\b/;
const NAME_LABEL = /^(?:nome \/ endereco|nome do cliente|titular|cliente|dados do cliente|nome)\b\s*:?\s*/;
/** Labels that start the right-hand column when OCR joins two columns into one line. */
const COLUMN_BREAK =
  /\s(?:n[ºo°]\.?\s*d[ao]|c[oó]digo|unidade|classifica|emiss|refer|vencimento|total|cnpj|cpf|cep\b|\d{2}\/\d{2,4}).*$/i;
const CONNECTORS = /\b(De|Da|Do|Dos|Das|E)\b/g;

/** Names and addresses printed in capitals are given in natural case ("RUA DOS IPÊS" → "Rua dos Ipês"). */
export function naturalCase(s: string): string {
  return s === s.toUpperCase() ? titleCase(s) : s;
}

export function titleCase(s: string): string {
  return s
    .toLowerCase()
    .replace(/(^|[\s'-])\p{L}/gu, (m) => m.toUpperCase())
    .replace(CONNECTORS, (m) => m.toLowerCase());
}

/**
 * The holder block: the name under its label, the address lines above the CEP, and the CEP line's
 * "City – UF" / "City (UF)" / "City/UF". Layouts print the CEP before or after the city, on the
 * address line or its own line.
 */
export function readHolder(lines: readonly BillLine[]): Holder {
  const holder: Holder = { placeFromCep: false };
  const at = lines.findIndex((l) => CEP.test(l.raw) && !/cnpj/i.test(l.raw));
  if (at >= 0) {
    const line = lines[at]?.raw ?? "";
    const cep = CEP.exec(line);
    if (cep) {
      holder.cep = `${cep[1]}-${cep[2]}`;
      const before = line.slice(0, cep.index).replace(/\bCEP\b[\s:]*$/i, "");
      const after = line.slice(cep.index + cep[0].length);
      const place =
        cityUf(after) ?? cityUf(lines[at + 1]?.raw ?? "", true) ?? cityUf(before.replace(/[\s:·•,-]+$/, ""));
      if (place) {
        holder.city = place.city;
        holder.state = place.uf;
        holder.placeFromCep = true;
      }
      const street = before.replace(/[\s:·•,-]+$/, "").trim();
      const address = STREET.test(
        street
          .toLowerCase()
          .normalize("NFD")
          .replace(/[\u0300-\u036f]/g, ""),
      )
        ? street
        : addressAbove(lines, at);
      if (address) holder.address = naturalCase(address);
    }
  }
  const name = nameOf(lines, at);
  if (name) holder.customerName = naturalCase(name);
  return holder;
}

function cityUf(s: string, wholeLine = false): { city: string; uf: string } | undefined {
  const m =
    /^[\s:·•,-]*(?:cep\s*)?([\p{L}][\p{L}' .]+?)\s*(?:[-–/·]\s*|\(\s*|\s)([A-Z]{2})\)?(?:\s|$|[.,])/u.exec(
      wholeLine ? s : s.trim(),
    );
  if (!m?.[1] || !m[2] || !UFS.has(m[2])) return undefined;
  return { city: titleCase(m[1].trim()), uf: m[2] };
}

function addressAbove(lines: readonly BillLine[], cepLine: number): string | undefined {
  for (let i = cepLine - 1; i >= Math.max(0, cepLine - 3); i--) {
    const line = lines[i];
    if (!line || !STREET.test(line.folded)) continue;
    const parts = lines.slice(i, cepLine).map((l) => l.raw.replace(COLUMN_BREAK, "").trim());
    return parts.join(" ").replace(/\s+/g, " ").trim() || undefined;
  }
  return undefined;
}

function nameOf(lines: readonly BillLine[], cepLine: number): string | undefined {
  const pick = (raw: string) => {
    const cut = raw.replace(COLUMN_BREAK, "").trim();
    // A name is words of letters; stop at the first token that is not one (a value of another column).
    const words: string[] = [];
    for (const w of cut.split(" ")) {
      if (!/^[\p{L}][\p{L}'.&-]*$/u.test(w)) break;
      words.push(w);
    }
    return words.length >= 2 ? words.join(" ") : undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const m = NAME_LABEL.exec(line.folded);
    if (!m) continue;
    const rest = line.raw.slice(m[0].length);
    const sameLine = rest.length > 4 ? pick(rest) : undefined;
    if (sameLine && !/^(unidade|endere)/i.test(sameLine)) return sameLine;
    // The holder block: the first line of words under the label that is not a street or a label.
    for (const next of lines.slice(i + 1, i + 4)) {
      if (STREET.test(next.folded) || /^(endereco|cpf|cnpj|cep)\b/.test(next.folded)) continue;
      const name = pick(next.raw);
      if (name) return name;
    }
  }
  // No label read: the holder block is name, address, CEP line; the address is the line above the
  // CEP line unless a street line is found a little higher.
  if (cepLine > 1) {
    const from = Math.max(0, cepLine - 3);
    const street = lines.slice(from, cepLine).findIndex((l) => STREET.test(l.folded));
    const above = lines[street >= 0 ? from + street - 1 : cepLine - 2];
    if (above) return pick(above.raw);
  }
  return undefined;
}
