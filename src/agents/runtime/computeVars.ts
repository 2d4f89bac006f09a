import type { AgentData, AgentDefinition } from "./agentDefinition.ts";
import type { AgentState, SlotValue } from "./transition.ts";

/** Variables every prompt and template may use besides the slots. */
export const COMPUTED_VARS = ["first_name", "discount", "saving", "loyalty", "minimum"] as const;
/** Variables of agents with a `bill` section: what the last bill said, a value to confirm. */
export const BILL_VARS = [
  "bill_distributor",
  "bill_amount",
  "bill_kwh",
  "bill_summary",
  "confirm_value",
] as const;

const brl = (n: number) =>
  new Intl.NumberFormat("pt-BR", {
    minimumFractionDigits: Number.isInteger(n) ? 0 : 2,
    maximumFractionDigits: 2,
  }).format(n);

/** The plan for the lead's distributor and customer type (rural uses the residential column unless listed). */
export function planFor(data: AgentData, s: AgentState) {
  const plan = data.plans.find((p) => p.distributor === s.slots.distributor);
  const type = typeof s.slots.customer_type === "string" ? s.slots.customer_type : undefined;
  if (!plan || !type) return undefined;
  const discount = plan.discounts[type] ?? (type === "rural" ? plan.discounts.residential : undefined);
  return discount === undefined ? undefined : { discount, loyaltyMonths: plan.loyalty_months };
}

/**
 * Every variable a prompt may use, as text: the slots (unset ones empty, money in Brazilian
 * format) and the quote — first name, discount ("20%"), estimated saving rounded half up to
 * whole reais, loyalty, the minimum bill for the customer type.
 */
export function computeVars(def: AgentDefinition, s: AgentState): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [slot, spec] of Object.entries(def.slots)) {
    const v = s.slots[slot];
    vars[slot] =
      v === undefined
        ? ""
        : typeof v === "number"
          ? spec.type === "money"
            ? brl(v)
            : String(v)
          : typeof v === "boolean"
            ? v
              ? "sim"
              : "não"
            : v;
  }
  const name = typeof s.slots.name === "string" ? s.slots.name : "";
  vars.first_name = name.split(/\s+/)[0] ?? "";
  const plan = planFor(def.data, s);
  const bill = typeof s.slots.monthly_bill_brl === "number" ? s.slots.monthly_bill_brl : undefined;
  vars.discount = plan ? `${Math.round(plan.discount * 100)}%` : "";
  vars.saving = plan && bill !== undefined ? brl(Math.floor(bill * plan.discount + 0.5)) : "";
  vars.loyalty = plan
    ? plan.loyaltyMonths > 0
      ? `fidelidade de ${plan.loyaltyMonths} meses`
      : "sem fidelidade"
    : "";
  const type = typeof s.slots.customer_type === "string" ? s.slots.customer_type : "";
  const minimum = def.data.minimums[type];
  vars.minimum = minimum === undefined ? "" : brl(minimum);
  if (def.bill) Object.assign(vars, billVars(s));
  return vars;
}

/** What the last bill said, as the customer reads it ("R$ 441,00", "468 kWh"), and a pending confirmation. */
function billVars(s: AgentState): Record<string, string> {
  const vars: Record<string, string> = {};
  const read = s.bill ?? {};
  vars.bill_distributor = typeof read.distributor === "string" ? read.distributor : "";
  vars.bill_amount = typeof read.amount_due_brl === "number" ? `R$ ${brlCents(read.amount_due_brl)}` : "";
  vars.bill_kwh = typeof read.consumption_kwh === "number" ? `${read.consumption_kwh} kWh` : "";
  vars.bill_summary = [vars.bill_distributor, vars.bill_amount, vars.bill_kwh].filter(Boolean).join(", ");
  const c = s.confirm;
  vars.confirm_value =
    c === undefined ? "" : typeof c.value === "number" ? `R$ ${brlCents(c.value)}` : String(c.value);
  return vars;
}

const brlCents = (n: number) =>
  new Intl.NumberFormat("pt-BR", { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);

/** Lead score 0–100 from the operator's weights (sales priority; outcomes never depend on it). */
export function leadScore(data: AgentData, s: AgentState): number | undefined {
  const w = data.score;
  if (!w) return undefined;
  const bill = typeof s.slots.monthly_bill_brl === "number" ? s.slots.monthly_bill_brl : 0;
  const band = [...w.bill_bands].sort((a, b) => b.min - a.min).find((b) => bill >= b.min);
  const type = typeof s.slots.customer_type === "string" ? s.slots.customer_type : "";
  const points =
    (band?.points ?? 0) +
    (w.customer_type[type] ?? 0) +
    (s.slots.is_account_holder === true ? w.account_holder : 0) +
    (s.slots.bill_received === true ? w.bill_received : 0);
  return Math.min(100, Math.round(points));
}

/** What the lead record carries besides the slots: the quote, the score, the holder consent flag. */
export function leadDetails(def: AgentDefinition, s: AgentState): Record<string, SlotValue> {
  const plan = planFor(def.data, s);
  const bill = typeof s.slots.monthly_bill_brl === "number" ? s.slots.monthly_bill_brl : undefined;
  const details: Record<string, SlotValue> = {};
  if (plan) {
    details.discount = plan.discount;
    details.loyalty_months = plan.loyaltyMonths;
    if (bill !== undefined) details.estimated_saving_brl = Math.floor(bill * plan.discount + 0.5);
  }
  const score = leadScore(def.data, s);
  if (score !== undefined) details.score = score;
  if ("is_account_holder" in def.slots)
    details.holder_consent_needed = s.slots.is_account_holder === false && s.slots.holder_agrees !== true;
  // The bill's own fields (installation number, due date, …) for sales and the review queue.
  for (const [field, value] of Object.entries(s.bill ?? {})) details[`bill_${field}`] = value;
  if (s.review) details.review_reason = s.review;
  return details;
}
