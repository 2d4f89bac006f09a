import type { PageHit } from "./rankPages.ts";

/**
 * The question picks the page; the context around it ("tenho uma chácara em Minas, conta de 250")
 * only breaks ties. A page matching none of the question's own words comes after every page that
 * matches some. Pure.
 */
export function questionFirst(hits: PageHit[]): PageHit[] {
  return [...hits.filter((h) => h.coverage > 0), ...hits.filter((h) => h.coverage === 0)];
}
