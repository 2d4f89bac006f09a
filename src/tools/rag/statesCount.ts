import { parseNumberWords } from "../../agents/extract/parseNumberWords.ts";
import { prefixOf } from "./buildSearchIndex.ts";
import { foldText, wordsOf } from "./foldText.ts";

/** Words allowed between a number and the thing it counts ("8 usinas solares", "duas contas de luz"). */
const GAP = 2;

/**
 * Whether a text gives a number of the thing ("A Aurora tem 8 usinas", "você recebe duas contas"):
 * a number, in digits or in words, followed within a couple of words by the thing (same 5-letter
 * prefix, so "usina" meets "usinas"). What "quantos X?" needs from an answer. Pure.
 */
export function statesCount(text: string, thing: string): boolean {
  const key = prefixOf(foldText(thing));
  const words = wordsOf(text).map(foldText);
  return words.some(
    (w, i) =>
      isNumber(w) && words.slice(i + 1, i + 2 + GAP).some((next) => prefixOf(next) === key && next !== w),
  );
}

/** Whether a text holds a number, in digits or in words ("duas contas"; not the article "uma"). */
export const hasNumber = (text: string) => wordsOf(text).map(foldText).some(isNumber);

const isNumber = (word: string) =>
  /^\d/.test(word) || (word !== "um" && word !== "uma" && parseNumberWords(word) !== undefined);
