// Review tab: leads waiting for a person (bill contradicts what was said, unreadable bill...). The
// operator checks the bill, corrects slots, and approves or rejects.
import { errorText, get, post } from "./api.js";
import { badge, fmtDateTime, h, setError, stringify } from "./dom.js";

export function createReviewView(ctx) {
  const list = h("div", { class: "lead-list" });
  const count = h("span", { class: "muted" });
  const el = h(
    "div",
    { class: "view view-review view-scroll" },
    h("div", { class: "view-heading" }, h("h2", { text: "Review queue" }), count),
    list,
  );
  const cards = new Map(); // lead id → { lead, key, card, dirty() }

  async function refresh() {
    const data = await get("/console/api/leads?outcome=needs_review");
    const leads = Array.isArray(data.leads) ? data.leads : [];
    count.textContent = `${leads.length} lead${leads.length === 1 ? "" : "s"} waiting`;
    ctx.setCount("review", leads.length);
    const seen = new Set();
    const nodes = [];
    for (const lead of leads) {
      const id = String(lead.id);
      seen.add(id);
      const key = JSON.stringify(lead);
      let entry = cards.get(id);
      if (!entry || (entry.key !== key && !entry.dirty())) {
        entry = { ...buildCard(lead, ctx, refreshAfterDecision), key };
        cards.set(id, entry);
      }
      nodes.push(entry.card);
    }
    for (const id of [...cards.keys()]) if (!seen.has(id)) cards.delete(id);
    if (nodes.length === 0) nodes.push(h("div", { class: "empty card", text: "Nothing to review." }));
    list.replaceChildren(...nodes);
  }

  function refreshAfterDecision(id) {
    cards.get(String(id))?.card.remove();
    cards.delete(String(id));
    ctx.refreshSoon(0);
  }

  return { el, refresh, title: "Review" };
}

function buildCard(lead, ctx, onDecided) {
  const slots = lead.slots && typeof lead.slots === "object" ? lead.slots : {};
  const original = {};
  const inputs = {};
  const fields = Object.keys(slots).map((slot) => {
    original[slot] = stringify(slots[slot]);
    const input = h("input", {
      class: "input",
      testid: `lead-field-${slot}`,
      value: original[slot],
      dataset: { slot },
    });
    input.addEventListener("input", () =>
      input.classList.toggle("is-edited", input.value !== original[slot]),
    );
    inputs[slot] = input;
    return h("label", { class: "field" }, h("span", { class: "mono", text: slot }), input);
  });
  const note = h("textarea", {
    class: "input",
    testid: "lead-note",
    rows: 2,
    placeholder: "Note for the record (optional)",
  });
  const error = h("div", { class: "error-text", hidden: true, testid: "lead-error" });
  const approve = h("button", {
    type: "button",
    class: "btn btn-primary",
    testid: "lead-approve",
    text: "Approve",
  });
  const reject = h("button", {
    type: "button",
    class: "btn btn-danger",
    testid: "lead-reject",
    text: "Reject",
  });

  const changedFields = () => {
    const changed = {};
    for (const [slot, input] of Object.entries(inputs)) {
      if (input.value !== original[slot]) changed[slot] = input.value;
    }
    return changed;
  };
  const dirty = () => Object.keys(changedFields()).length > 0 || note.value.trim() !== "";

  async function decide(decision) {
    setError(error, "");
    approve.disabled = true;
    reject.disabled = true;
    const body = { decision };
    const changed = changedFields();
    if (Object.keys(changed).length > 0) body.fields = changed;
    if (note.value.trim()) body.note = note.value.trim();
    try {
      await post(`/console/api/leads/${encodeURIComponent(lead.id)}/review`, body);
      ctx.toast(`${lead.customerName || "Lead"} ${decision === "approve" ? "approved" : "rejected"}.`);
      onDecided(lead.id);
    } catch (err) {
      setError(error, errorText(err));
      approve.disabled = false;
      reject.disabled = false;
    }
  }
  approve.addEventListener("click", () => void decide("approve"));
  reject.addEventListener("click", () => void decide("reject"));

  const card = h(
    "article",
    { class: "card lead-card", testid: "lead-card", dataset: { id: String(lead.id) } },
    h(
      "div",
      { class: "lead-head" },
      h("div", { class: "lead-name", text: lead.customerName || "Unnamed customer" }),
      badge(lead.outcome ?? "needs_review", "review"),
      lead.syncStatus ? badge(`CRM: ${lead.syncStatus}`, "muted") : null,
      h("span", { class: "spacer" }),
      h("span", { class: "muted small", text: fmtDateTime(lead.updatedAt) }),
      lead.conversationId !== null && lead.conversationId !== undefined
        ? h("button", {
            type: "button",
            class: "btn btn-link",
            text: "Open conversation",
            onClick: () => ctx.openConversation(lead.conversationId),
          })
        : null,
    ),
    h("div", { class: "lead-reason" }, h("strong", { text: "Reason: " }), lead.reviewReason || "—"),
    h(
      "div",
      { class: "lead-body" },
      h("div", { class: "lead-bill" }, billMedia(lead.mediaUrl)),
      h(
        "div",
        { class: "lead-extracted" },
        h("div", { class: "section-label", text: "Read from the bill" }),
        billTable(lead.bill),
      ),
      h(
        "div",
        { class: "lead-form" },
        h("div", { class: "section-label", text: "Slots (edit to correct)" }),
        h(
          "div",
          { class: "lead-fields" },
          fields.length ? fields : h("div", { class: "muted", text: "No slots." }),
        ),
        note,
        error,
        h("div", { class: "lead-actions" }, reject, approve),
      ),
    ),
  );
  return { lead, card, dirty };
}

function billMedia(url) {
  if (!url) return h("div", { class: "bill-missing muted", text: "No bill file." });
  const link = (text) =>
    h("a", { class: "bill-link", testid: "bill-image", href: url, target: "_blank", rel: "noopener", text });
  if (/\.pdf($|[?#])/i.test(url)) return link("Open the bill (PDF)");
  const img = h("img", { class: "bill-image", testid: "bill-image", src: url, alt: "Electricity bill" });
  img.addEventListener("error", () => img.replaceWith(link("Open the bill (not an image, e.g. a PDF)")));
  return h("a", { href: url, target: "_blank", rel: "noopener", title: "Open full size" }, img);
}

function billTable(bill) {
  const entries = bill && typeof bill === "object" ? Object.entries(bill) : [];
  if (entries.length === 0) return h("div", { class: "muted", text: "Nothing was read from a bill." });
  return h(
    "table",
    { class: "table bill-table" },
    h(
      "thead",
      null,
      h("tr", null, h("th", { text: "Field" }), h("th", { text: "Value" }), h("th", { text: "Conf." })),
    ),
    h(
      "tbody",
      null,
      entries.map(([field, item]) => {
        const value = item && typeof item === "object" && "value" in item ? item.value : item;
        // The bill reader's confidence: high, medium or low (medium and low are worth a look).
        const confidence =
          item && typeof item === "object" && typeof item.confidence === "string" ? item.confidence : null;
        return h(
          "tr",
          { class: confidence === "low" || confidence === "medium" ? "is-low" : "" },
          h("td", { class: "mono", text: field }),
          h("td", { text: stringify(value) }),
          h("td", { class: `confidence confidence-${confidence ?? "none"}`, text: confidence ?? "—" }),
        );
      }),
    ),
  );
}
