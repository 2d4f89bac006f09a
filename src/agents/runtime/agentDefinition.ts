import { z } from "zod";
import { LIMITS } from "../../whatsapp/constants.ts";
import { LLM_TOOL_NAMES } from "./llmTools.ts";

/** Bill fields an agent may map to its slots. */
export const BILL_SLOT_FIELDS = [
  "distributor",
  "amount_due_brl",
  "consumption_kwh",
  "city",
  "state",
] as const;

const guardRef = z.strictObject({
  guard: z.string(),
  /** Arguments passed to the guard (slot names, thresholds); each guard validates its own. */
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/** Lead score weights (sales priority only; never changes an outcome). Points are capped at 100. */
export const scoreSchema = z.strictObject({
  /** Points by monthly bill: the highest band whose `min` the bill reaches. */
  bill_bands: z.array(z.strictObject({ min: z.number().min(0), points: z.number().min(0) })).default([]),
  customer_type: z.record(z.string(), z.number().min(0)).default({}),
  account_holder: z.number().min(0).default(0),
  bill_received: z.number().min(0).default(0),
});

const dataSchema = z.strictObject({
  /** The cities customers may name, with their UF and nicknames. */
  cities: z
    .array(
      z.strictObject({ name: z.string(), uf: z.string().length(2), aliases: z.array(z.string()).optional() }),
    )
    .default([]),
  /** Distributors by canonical name: whether we serve them, the names customers and bills use. */
  distributors: z
    .array(
      z.strictObject({
        name: z.string(),
        uf: z.string().length(2),
        covered: z.boolean(),
        aliases: z.array(z.string()).default([]),
      }),
    )
    .default([]),
  /** Inference: a city decides its distributor (SP and RJ), else a UF with one main distributor. */
  distributor_by_city: z.record(z.string(), z.string()).default({}),
  distributor_by_uf: z.record(z.string().length(2), z.string()).default({}),
  /** Minimum average monthly bill per customer type (BRL). */
  minimums: z.record(z.string(), z.number().positive()).default({}),
  score: scoreSchema.optional(),
  /** Plans: discount per customer type (0.2 = 20%), loyalty in months (0: none). */
  plans: z
    .array(
      z.strictObject({
        distributor: z.string(),
        discounts: z.record(z.string(), z.number().min(0).max(1)),
        loyalty_months: z.number().int().min(0).default(0),
      }),
    )
    .default([]),
});
export type AgentData = z.infer<typeof dataSchema>;

const optionSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_]+$/, "lowercase letters, digits and _"),
  /** What the reply button shows (WhatsApp allows 20 characters). */
  title: z.string().min(1).max(LIMITS.buttonTitle),
  /** Other words customers type for this option ("apartamento" for "Apto"). */
  aliases: z.array(z.string()).default([]),
});

const slotSchema = z
  .strictObject({
    type: z.enum([
      "name",
      "city",
      "uf",
      "distributor",
      "money",
      "number",
      "yes_no",
      "email",
      "text",
      "choice",
      "media",
    ]),
    /**
     * Also read this slot from messages that answer another question ("Maria, de Recife" fills the
     * city while the name was asked), and take corrections ("na verdade é 600") at any time.
     */
    listen: z.boolean().default(false),
    /**
     * For `yes_no`: what the answer is about, so phrases say it too — "tá no nome do meu marido"
     * (account_holder: no), "ela deixa" (holder_agrees: yes) — also when listened.
     */
    means: z.enum(["account_holder", "holder_agrees"]).optional(),
    /** For `number`: the unit customers write after it ("kwh"); then "uns 300 kWh" fills it at any time. */
    unit: z.string().optional(),
    /** For `choice`: the options, offered as reply buttons when the slot is asked. */
    options: z.array(optionSchema).min(2).max(LIMITS.buttons).optional(),
    /** Validators: bounds for money, length bounds for text; a value outside is not accepted. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** For text: a regular expression the whole answer must match. */
    pattern: z
      .string()
      .refine((p) => {
        try {
          new RegExp(p, "u");
          return true;
        } catch {
          return false;
        }
      }, "not a valid regular expression")
      .optional(),
  })
  .refine((s) => (s.type === "choice") === (s.options !== undefined), {
    message: "a choice slot needs options (2 to 3, sent as reply buttons); other types take none",
  })
  .refine((s) => s.means === undefined || s.type === "yes_no", {
    message: "`means` (account_holder, holder_agrees) is for yes_no slots only",
  });
export type SlotSpec = z.infer<typeof slotSchema>;

const templateRef = z.strictObject({ name: z.string(), params: z.array(z.string()).default([]) });

const askSchema = z.strictObject({
  slot: z.string(),
  prompt: z.string(),
  /** Asked instead of `prompt` after an answer that was not understood. */
  reprompt: z.string().optional(),
  /**
   * Asked instead of `prompt` when the question comes back after something else (a question
   * answered, another fact given): the first wording's greeting is not repeated.
   */
  followup: z.string().optional(),
  /** Asked instead of `reprompt` when the answer named several candidates (two cities). */
  several: z.string().optional(),
  /** Ask only while these guards hold (holder_agrees only when the customer is not the holder). */
  when: z.array(guardRef).default([]),
  /** Asked once; no reminder, no miss counted when the customer writes something else. */
  optional: z.boolean().default(false),
});
export type AskDefinition = z.infer<typeof askSchema>;

const stateSchema = z.strictObject({
  /**
   * The questions of this state, in order: the first unanswered one whose `when` holds is asked,
   * one per message; slots already known are skipped.
   */
  ask: z
    .union([askSchema, z.array(askSchema)])
    .transform((a) => (Array.isArray(a) ? a : [a]))
    .default([]),
  /** Say this prompt when entering the state. */
  say: z.string().optional(),
  /** Send this template when entering the state (parameters: variable names, in order). */
  template: templateRef.optional(),
  /** The answer to a message that changed nothing when there is nothing left to ask. */
  idle: z.string().optional(),
  /**
   * A free-form state: every turn gets one answer rendered from `prompt` with {{texts}} (what the
   * customer wrote in the turn), or `unsupported` when a message carries no text we can read.
   */
  respond: z.strictObject({ prompt: z.string(), unsupported: z.string().optional() }).optional(),
  final: z.boolean().default(false),
  /** The tools the LLM may call in this state (default: the agent's `llm_tools`). */
  llm_tools: z.array(z.enum(LLM_TOOL_NAMES)).optional(),
  outcome: z.string().optional(),
  /** Transitions, tried in order; the first whose guards all hold is taken. */
  next: z.array(z.strictObject({ to: z.string(), when: z.array(guardRef).default([]) })).default([]),
  /**
   * Entering this state hands the conversation to another agent, which starts there (the FAQ agent
   * hands a customer who wants a quote to the lead qualification).
   */
  switch_to: z.string().optional(),
});

const problemPrompts = z
  .record(z.string().regex(/^[a-z_]+$/), z.string())
  .refine((m) => "default" in m, { message: "needs a `default` prompt" });

/** An agent as operators write it in agents/*.yaml: slots, states, transitions with named guards. */
export const agentDefinitionSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  version: z.union([z.string(), z.number()]).transform(String),
  description: z.string().optional(),
  slots: z.record(z.string(), slotSchema),
  initial: z.string(),
  /** Handled before anything else, in any state. */
  global: z
    .strictObject({
      opt_out: z.strictObject({ to: z.string() }).optional(),
      human: z.strictObject({ to: z.string() }).optional(),
      /** After an opt-out, "VOLTAR" / "quero voltar a receber mensagens": confirmed with this prompt. */
      opt_in: z.strictObject({ prompt: z.string() }).optional(),
      /**
       * A question off the script: answered with this prompt (until the FAQ agent answers it), the
       * conversation flagged for a person, and the flow resumes with the question it was on.
       */
      question: z.strictObject({ prompt: z.string() }).optional(),
      /** A sticker, voice note, location… where a text was expected: this short reply, no state change. */
      unsupported: z.strictObject({ prompt: z.string() }).optional(),
      /** A voice note that could not be transcribed (no transcription service, too long): this reply. */
      voice: z.strictObject({ prompt: z.string() }).optional(),
    })
    .default({}),
  /** Message types that never get an answer (a reaction, an edited or deleted message). */
  silent_types: z.array(z.string()).default(["reaction", "revoke", "edit", "system"]),
  /** Operator data: what the extractors, guards and quotes use. */
  data: dataSchema.default({
    cities: [],
    distributors: [],
    distributor_by_city: {},
    distributor_by_uf: {},
    minimums: {},
    plans: [],
  }),
  /** Slots filled from others after every change (state from the city, distributor from the place). */
  derive: z.array(z.enum(["uf_from_city", "distributor_from_place"])).default([]),
  /** The tools the LLM may call (per state with `llm_tools` there): read slots, ask for a person. */
  llm_tools: z.array(z.enum(LLM_TOOL_NAMES)).default([...LLM_TOOL_NAMES]),
  /**
   * The one reminder after silence: `after` the customer's last message, in the listed states
   * (each with extra guards), this template — once per conversation, never to an opted-out or
   * handed-off contact, never in quiet hours (postponed to the next allowed time).
   */
  follow_up: z
    .strictObject({
      after: z.string().regex(/^\d+(\.\d+)?\s*[smhd]$/, 'a duration like "24h"'),
      template: templateRef,
      in_states: z.record(z.string(), z.array(guardRef)),
    })
    .optional(),
  /** Proactive messages wait outside these hours (local time). Replies are never delayed. */
  quiet_hours: z
    .strictObject({
      from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
      to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
      time_zone: z.string().default("America/Sao_Paulo"),
    })
    .default({ from: "21:00", to: "08:00", time_zone: "America/Sao_Paulo" }),
  /** The template that replaces a free-form reply when the 24-hour window has closed. */
  outside_window: z.strictObject({ template: templateRef }).optional(),
  /**
   * What a bill (photo or PDF) does: its fields fill slots (the bill beats what was said), a bill
   * that contradicts what the customer stated sends the lead to `review_state`, an unreadable one
   * gets a request for a better photo, twice unreadable goes to review.
   */
  bill: z
    .strictObject({
      /** Bill field → slot. Fields: distributor, amount_due_brl, consumption_kwh, city, state. */
      fills: z.partialRecord(z.enum(BILL_SLOT_FIELDS), z.string()).default({}),
      /** The yes/no-ish slot set when a readable bill arrives. */
      received_slot: z.string(),
      review_state: z.string(),
      /** A stated bill differing from the bill's amount by more than this share of it is a contradiction. */
      amount_tolerance: z.number().min(0).max(10).default(0.3),
      /** Unreadable bills before the lead goes to review. */
      max_unreadable: z.number().int().min(1).default(2),
      prompts: z.strictObject({
        /** The bill was read: what was understood. */
        read: z.string(),
        /** A field read with medium confidence: "li R$ 441,00, está certo?" (Sim/Não). */
        confirm: z.string(),
        not_a_bill: z.string(),
        /**
         * Key fields unreadable: a prompt per problem (dark, blurred, cut, corrupt, encrypted,
         * unreadable) saying what is wrong and asking for a better photo; `default` for the rest.
         */
        unreadable: problemPrompts,
        /** Refused before reading, per reason (too_large, type_not_allowed, failed); `default` for the rest. */
        refused: problemPrompts,
      }),
    })
    .optional(),
  /**
   * Questions off the script answered from the knowledge base (the FAQ): `answer` carries
   * {{answer}} and {{source}}; `dont_know` offers a person (the conversation is flagged);
   * `refuse` answers manipulation; `clarify` asks what the customer wants to know. The flow then
   * resumes with the question it was on.
   */
  faq: z
    .strictObject({
      answer: z.string(),
      dont_know: z.string(),
      refuse: z.string(),
      clarify: z.string(),
    })
    .optional(),
  /** Unanswered attempts at one question before handing off to a person. */
  max_misses: z.number().int().min(1).default(3),
  handoff_state: z.string().optional(),
  states: z.record(z.string(), stateSchema),
});
export type AgentDefinition = z.infer<typeof agentDefinitionSchema>;
export type StateDefinition = AgentDefinition["states"][string];
