import { gazetteerFor } from "../extract/createGazetteer.ts";
import type { AgentDefinition } from "./agentDefinition.ts";
import { guards } from "./guards.ts";

/**
 * Structural checks of an agent, beyond its schema: every referenced state, slot, guard and prompt
 * exists; every state is reachable from the initial one; every non-final state has a way out.
 * Returns problems (empty when sound).
 */
export function checkAgent(def: AgentDefinition, promptIds: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const states = def.states;
  const exists = (s: string, where: string) => {
    if (!(s in states)) problems.push(`${where}: no state "${s}"`);
  };
  exists(def.initial, "initial");
  if (def.global.opt_out) exists(def.global.opt_out.to, "global.opt_out.to");
  if (def.global.human) exists(def.global.human.to, "global.human.to");
  if (def.handoff_state) exists(def.handoff_state, "handoff_state");
  for (const [key, g] of Object.entries({
    opt_in: def.global.opt_in,
    question: def.global.question,
    unsupported: def.global.unsupported,
  })) {
    if (g && !promptIds.has(g.prompt)) problems.push(`global.${key}: no prompt "${g.prompt}" in prompts/`);
  }
  for (const [key, id] of Object.entries(def.faq ?? {}))
    if (!promptIds.has(id)) problems.push(`faq.${key}: no prompt "${id}" in prompts/`);
  if (def.global.voice && !promptIds.has(def.global.voice.prompt))
    problems.push(`global.voice: no prompt "${def.global.voice.prompt}" in prompts/`);
  problems.push(...unknownCities(def));
  if (def.bill) {
    exists(def.bill.review_state, "bill.review_state");
    if (!(def.bill.received_slot in def.slots))
      problems.push(`bill.received_slot: no slot "${def.bill.received_slot}"`);
    for (const [field, slot] of Object.entries(def.bill.fills))
      if (!(slot in def.slots)) problems.push(`bill.fills: ${field} → no slot "${slot}"`);
    for (const [key, id] of billPromptIds(def))
      if (!promptIds.has(id)) problems.push(`bill.prompts: ${key}: no prompt "${id}" in prompts/`);
  }
  for (const [name, st] of Object.entries(states)) {
    for (const a of st.ask) {
      if (!(a.slot in def.slots)) problems.push(`states.${name}.ask: no slot "${a.slot}"`);
      for (const g of a.when) {
        if (!(g.guard in guards)) problems.push(`states.${name}.ask: unknown guard "${g.guard}"`);
      }
    }
    for (const p of [
      ...st.ask.flatMap((a) => [a.prompt, a.reprompt, a.followup, a.several]),
      st.say,
      st.idle,
      st.respond?.prompt,
      st.respond?.unsupported,
    ]) {
      if (p && !promptIds.has(p)) problems.push(`states.${name}: no prompt "${p}" in prompts/`);
    }
    st.next.forEach((t, i) => {
      exists(t.to, `states.${name}.next.${i}.to`);
      for (const g of t.when) {
        if (!(g.guard in guards))
          problems.push(
            `states.${name}.next.${i}: unknown guard "${g.guard}" (known: ${Object.keys(guards).join(", ")})`,
          );
        const slot = g.args.slot;
        if (typeof slot === "string" && !(slot in def.slots))
          problems.push(`states.${name}.next.${i}: no slot "${slot}"`);
      }
    });
    // A free-form (respond) state is a conversation that goes on; any other state needs a way out.
    if (!st.final && !st.respond && !st.switch_to && st.next.length === 0) {
      problems.push(`states.${name}: not final and no transition leaves it`);
    }
  }
  const seen = reachable(def);
  for (const name of Object.keys(states)) {
    if (!seen.has(name)) problems.push(`states.${name}: unreachable from "${def.initial}"`);
    // A free-form (respond) state is a conversation that goes on; every other state must be able to end.
    else if (!canFinish(def, name) && !def.states[name]?.respond) {
      problems.push(`states.${name}: no path from it to a final state`);
    }
  }
  return problems;
}

/** Every state some path from the initial state (or a global handler) can reach. */
export function reachable(def: AgentDefinition): Set<string> {
  const seen = new Set<string>();
  const queue = [
    def.initial,
    def.global.opt_out?.to,
    def.global.human?.to,
    def.handoff_state,
    def.bill?.review_state,
  ].filter((s): s is string => typeof s === "string");
  while (queue.length > 0) {
    const s = queue.shift() ?? "";
    if (seen.has(s) || !(s in def.states)) continue;
    seen.add(s);
    for (const t of def.states[s]?.next ?? []) queue.push(t.to);
  }
  return seen;
}

/** Whether some path of transitions leads from `from` to a final or outcome state. */
export function canFinish(def: AgentDefinition, from: string): boolean {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const s = queue.shift() ?? "";
    if (seen.has(s)) continue;
    seen.add(s);
    const node = def.states[s];
    if (!node) continue;
    // An outcome state ends the qualification even when corrections may still move it.
    if (node.final || node.outcome || node.switch_to) return true;
    for (const t of node.next) queue.push(t.to);
  }
  return false;
}

/** Every prompt the bill section names, with where it is named. */
export function billPromptIds(def: AgentDefinition): [string, string][] {
  const p = def.bill?.prompts;
  if (!p) return [];
  return [
    ["read", p.read],
    ["confirm", p.confirm],
    ["not_a_bill", p.not_a_bill],
    ...Object.entries(p.unreadable).map(([k, v]): [string, string] => [`unreadable.${k}`, v]),
    ...Object.entries(p.refused).map(([k, v]): [string, string] => [`refused.${k}`, v]),
  ];
}

/** distributor_by_city names cities as slots hold them: a municipality's official spelling. */
function unknownCities(def: AgentDefinition): string[] {
  const known = new Set([...gazetteerFor(def.data.cities).byKey.values()].flat().map((p) => p.name));
  return Object.keys(def.data.distributor_by_city)
    .filter((city) => !known.has(city))
    .map(
      (city) =>
        `data.distributor_by_city.${city}: not a municipality's official name (IBGE spelling, with accents)`,
    );
}
