/** The usual RRF constant: dampens the head of each list so neither ranking dominates. */
const RRF_K = 60;

/**
 * Reciprocal rank fusion: each id scores Σ 1/(k + rank) over the rankings it appears in (rank from
 * 1). Needs no score calibration between keyword and vector search. Ties keep first-seen order.
 */
export function fuseRankings(rankings: string[][], k = RRF_K): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const ranking of rankings)
    ranking.forEach((id, i) => {
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1));
    });
  return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
