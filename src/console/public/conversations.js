// Conversations tab: filtered list, one conversation's history, operator controls (take over, give
// back, reply or template outside the window, erase the contact) and the turn inspector.
import { ApiError, del, errorText, get, post } from "./api.js";
import { createChat } from "./chat.js";
import { badge, fmtWhen, h, setChildren, setError } from "./dom.js";
import { createInspector } from "./inspector.js";

const FILTERS = [
  ["all", "All"],
  ["active", "Active"],
  ["handoff", "Handoff"],
  ["needs_review", "Needs review"],
  ["failed", "Failed"],
  ["opted_out", "Opted out"],
];

function sameId(a, b) {
  return a !== null && b !== null && a !== undefined && b !== undefined && String(a) === String(b);
}

/** Badges for a conversation; with detailed, the window badge says until when it is open. */
export function summaryBadges(c, me, detailed = false, nowIso = null) {
  const out = [];
  if (c.takenBy) out.push(badge(c.takenBy === me ? "taken by you" : `taken by ${c.takenBy}`, "info"));
  else if (c.handoff) out.push(badge("handoff", "warn"));
  if (c.optedOut) out.push(badge("opted out", "dark"));
  if (c.failed) out.push(badge("failed", "danger"));
  if (c.deliveryProblem) {
    const b = badge("delivery problem", "danger", "delivery-problem");
    b.title = c.deliveryProblem;
    out.push(b);
  }
  if (c.needsReview) out.push(badge("needs review", "review"));
  if (c.outcome && c.outcome !== "needs_review") out.push(badge(c.outcome, "outcome"));
  if (c.window?.open) {
    out.push(
      badge(detailed ? `window open until ${fmtWhen(c.window.closesAt, nowIso)}` : "window open", "ok"),
    );
  } else if (c.window) out.push(badge("window closed", "muted"));
  return out;
}

export function createConversationsView(ctx) {
  let filter = "all";
  let selectedId = null;
  let conversations = [];
  let current = null; // the selected conversation's detail
  let nowIso = null;
  let templates = null;
  let replyMode = null; // "text" | "template" | "none"

  const chips = h(
    "div",
    { class: "chips", attrs: { role: "toolbar", "aria-label": "Filter conversations" } },
    FILTERS.map(([name, label]) =>
      h("button", {
        type: "button",
        class: `chip${name === filter ? " is-active" : ""}`,
        testid: `filter-${name}`,
        dataset: { filter: name },
        text: label,
        attrs: { "aria-pressed": String(name === filter) },
        onClick: () => {
          filter = name;
          for (const chip of chips.children) {
            const active = chip.dataset.filter === name;
            chip.classList.toggle("is-active", active);
            chip.setAttribute("aria-pressed", String(active));
          }
          ctx.refreshSoon(0);
        },
      }),
    ),
  );
  const listCount = h("span", { class: "muted" });
  const list = h("div", { class: "conv-list" });
  const listCard = h(
    "section",
    { class: "card conv-list-card" },
    h("div", { class: "card-title" }, h("span", { text: "Conversations" }), listCount),
    chips,
    list,
  );

  // Detail
  const title = h("div", { class: "detail-name" });
  const subtitle = h("div", { class: "detail-sub muted" });
  const badges = h("div", { class: "badges" });
  const takenBy = h("span", { class: "taken-by", testid: "taken-by" });
  const takeoverButton = h("button", {
    type: "button",
    class: "btn btn-primary",
    testid: "takeover",
    text: "Take over",
    onClick: () => void takeover(),
  });
  const releaseButton = h("button", {
    type: "button",
    class: "btn",
    testid: "release",
    text: "Give back to bot",
    onClick: () => void release(),
  });
  const eraseButton = h("button", {
    type: "button",
    class: "btn btn-danger btn-small",
    testid: "erase-contact",
    text: "Erase contact",
    onClick: () => void erase(),
  });
  const controlSlot = h("span", { class: "control-slot" });
  const takeoverError = h("div", { class: "error-text", testid: "takeover-error", hidden: true });
  const chat = createChat({ interactive: false, emptyText: "No messages." });
  const replyBox = h("div", { class: "reply-box" });
  const replyError = h("div", { class: "error-text", testid: "reply-error", hidden: true });
  const replyNote = h("div", { class: "reply-note muted" });

  const replyInput = h("textarea", {
    class: "input reply-input",
    testid: "reply-input",
    rows: 2,
    placeholder: "Reply as the operator (Enter to send, Shift+Enter for a new line)",
    attrs: { "aria-label": "Reply" },
  });
  replyInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void sendReply();
    }
  });
  const templateSelect = h("select", {
    class: "input",
    testid: "template-select",
    attrs: { "aria-label": "Template" },
  });
  const templateParams = h("div", { class: "template-params" });
  const templatePreview = h("div", { class: "template-preview" });
  templateSelect.addEventListener("change", () => renderParams());

  const detailBody = h(
    "div",
    { class: "detail-body" },
    h("div", { class: "detail-head" }, h("div", { class: "detail-titles" }, title, subtitle), eraseButton),
    h("div", { class: "detail-bar" }, badges, h("div", { class: "detail-actions" }, takenBy, controlSlot)),
    takeoverError,
    chat.el,
    h("div", { class: "reply-area" }, replyNote, replyBox, replyError),
  );
  const detailEmpty = h("div", { class: "empty detail-empty", text: "Select a conversation." });
  const detailCard = h("section", { class: "card conv-detail" }, detailEmpty);
  const inspector = createInspector();

  const el = h("div", { class: "view view-conversations" }, listCard, detailCard, inspector.el);

  // --- list

  function renderList() {
    listCount.textContent = String(conversations.length);
    if (conversations.length === 0) {
      setChildren(list, h("div", { class: "empty", text: "No conversations match this filter." }));
      return;
    }
    list.replaceChildren(
      ...conversations.map((c) =>
        h(
          "button",
          {
            type: "button",
            class: `conv-row${sameId(c.id, selectedId) ? " is-selected" : ""}`,
            testid: "conversation-row",
            dataset: { id: String(c.id) },
            onClick: () => select(c.id),
          },
          h(
            "span",
            { class: "conv-row-top" },
            h("span", { class: "conv-name", text: c.customerName || c.customer || "?" }),
            h("span", { class: "conv-time muted", text: fmtWhen(c.lastMessage?.at ?? c.updatedAt, nowIso) }),
          ),
          h(
            "span",
            { class: "conv-row-mid" },
            h("span", { class: "mono muted", text: c.customer ?? "" }),
            badge(c.state ?? "?", "state"),
          ),
          h("span", { class: "badges" }, summaryBadges(c, ctx.operator())),
          c.lastMessage
            ? h(
                "span",
                { class: "conv-last" },
                c.lastMessage.direction === "out" ? h("span", { class: "muted", text: "↳ " }) : null,
                c.lastMessage.text ?? "",
              )
            : null,
        ),
      ),
    );
  }

  function select(id) {
    if (sameId(id, selectedId)) return;
    selectedId = id;
    current = null;
    replyMode = null;
    replyInput.value = "";
    setError(takeoverError, "");
    setError(replyError, "");
    chat.clear("Loading…");
    inspector.clear("Loading…");
    for (const row of list.children) row.classList?.toggle("is-selected", row.dataset.id === String(id));
    ctx.setHash(id === null ? "conversations" : `conversations/${id}`);
    ctx.refreshSoon(0);
  }

  // --- detail

  function renderDetail() {
    if (!current) {
      setChildren(detailCard, detailEmpty);
      return;
    }
    if (detailEmpty.isConnected) setChildren(detailCard, detailBody);
    const c = current;
    const me = ctx.operator();
    title.textContent = c.customerName || c.customer || "?";
    subtitle.textContent = [c.customer, c.agentId, `state ${c.state ?? "?"}`, c.done ? "done" : ""]
      .filter(Boolean)
      .join(" · ");
    setChildren(badges, summaryBadges(c, me, true, nowIso));
    if (c.takenBy === me) {
      takenBy.textContent = `Taken by you (${me})`;
      setChildren(controlSlot, releaseButton);
    } else {
      takenBy.textContent = c.takenBy
        ? `Taken by ${c.takenBy}`
        : c.handoff
          ? "Waiting for an operator"
          : "Bot is answering";
      setChildren(controlSlot, takeoverButton);
    }
    renderReply();
  }

  function renderReply() {
    const c = current;
    const mode = c.optedOut ? "none" : c.window?.open ? "text" : "template";
    replyNote.textContent =
      mode === "none"
        ? "The customer opted out: nothing can be sent."
        : mode === "template"
          ? "The 24-hour window is closed: only an approved template can be sent."
          : c.takenBy === ctx.operator()
            ? ""
            : "Tip: take over first so the bot stays silent while you talk.";
    if (mode === replyMode) return;
    replyMode = mode;
    if (mode === "none") {
      replyBox.replaceChildren();
    } else if (mode === "text") {
      setChildren(
        replyBox,
        h(
          "div",
          { class: "reply-row" },
          replyInput,
          h("button", {
            type: "button",
            class: "btn btn-primary",
            testid: "reply-send",
            text: "Send",
            onClick: () => void sendReply(),
          }),
        ),
      );
    } else {
      setChildren(
        replyBox,
        h(
          "div",
          { class: "template-form" },
          h("div", { class: "reply-row" }, templateSelect),
          templateParams,
          templatePreview,
          h(
            "div",
            { class: "reply-row reply-row-end" },
            h("button", {
              type: "button",
              class: "btn btn-primary",
              testid: "reply-send",
              text: "Send template",
              onClick: () => void sendReply(),
            }),
          ),
        ),
      );
      void loadTemplates();
    }
  }

  async function loadTemplates(force = false) {
    if (templates && !force) return;
    try {
      const data = await get("/console/api/templates");
      const next = Array.isArray(data.templates) ? data.templates : [];
      if (templates && JSON.stringify(next) === JSON.stringify(templates)) return;
      templates = next;
    } catch (err) {
      setError(replyError, `Templates: ${errorText(err)}`);
      return;
    }
    const previous = templateSelect.value;
    const sorted = [...templates].sort(
      (a, b) =>
        Number(b.status === "APPROVED") - Number(a.status === "APPROVED") || a.name.localeCompare(b.name),
    );
    templateSelect.replaceChildren(
      ...sorted.map((t) =>
        h("option", {
          value: t.name,
          text: `${t.name} (${t.language})${t.status === "APPROVED" ? "" : ` — ${t.status}`}`,
        }),
      ),
    );
    if (sorted.some((t) => t.name === previous)) templateSelect.value = previous;
    if (sorted.length === 0) templateSelect.append(h("option", { value: "", text: "No templates" }));
    renderParams();
  }

  function selectedTemplate() {
    return (templates ?? []).find((t) => t.name === templateSelect.value) ?? null;
  }

  function renderParams() {
    const t = selectedTemplate();
    const names = t && Array.isArray(t.parameters) ? t.parameters : [];
    templateParams.replaceChildren(
      ...names.map((name, i) => {
        const field = h("input", {
          class: "input",
          testid: "template-param",
          placeholder: String(name),
          dataset: { index: String(i) },
          attrs: { "aria-label": `Parameter ${i + 1}: ${name}` },
        });
        field.addEventListener("input", renderPreview);
        return h("label", { class: "field" }, h("span", { text: `{{${i + 1}}} ${name}` }), field);
      }),
    );
    renderPreview();
  }

  function paramValues() {
    return [...templateParams.querySelectorAll("input")].map((i) => i.value);
  }

  function renderPreview() {
    const t = selectedTemplate();
    if (!t) {
      templatePreview.textContent = "";
      return;
    }
    const values = paramValues();
    templatePreview.textContent = String(t.body ?? "").replace(/\{\{(\d+)\}\}/g, (whole, n) => {
      const value = values[Number(n) - 1];
      return value ? value : whole;
    });
  }

  async function sendReply() {
    if (!current) return;
    setError(replyError, "");
    const id = current.id;
    let body;
    if (replyMode === "text") {
      const text = replyInput.value.trim();
      if (!text) return;
      body = { text };
    } else if (replyMode === "template") {
      const t = selectedTemplate();
      if (!t) {
        setError(replyError, "Pick a template.");
        return;
      }
      const params = paramValues();
      if (params.some((p) => p.trim() === "")) {
        setError(replyError, "Fill in every parameter.");
        return;
      }
      body = { template: { name: t.name, params } };
    } else return;
    try {
      await post(`/console/api/conversations/${encodeURIComponent(id)}/reply`, body);
      if (replyMode === "text") replyInput.value = "";
      else for (const field of templateParams.querySelectorAll("input")) field.value = "";
      renderPreview();
      ctx.refreshSoon(0);
    } catch (err) {
      setError(replyError, errorText(err));
      if (err instanceof ApiError && err.status === 409) ctx.refreshSoon(0);
    }
  }

  async function takeover() {
    if (!current) return;
    setError(takeoverError, "");
    try {
      await post(`/console/api/conversations/${encodeURIComponent(current.id)}/takeover`);
    } catch (err) {
      setError(takeoverError, errorText(err));
    }
    ctx.refreshSoon(0);
  }

  async function release() {
    if (!current) return;
    setError(takeoverError, "");
    try {
      await post(`/console/api/conversations/${encodeURIComponent(current.id)}/release`);
    } catch (err) {
      setError(takeoverError, errorText(err));
    }
    ctx.refreshSoon(0);
  }

  async function erase() {
    if (!current) return;
    const who = `${current.customerName || "this contact"} (${current.customer})`;
    const ok = window.confirm(
      `Erase ${who} everywhere? Messages, leads and files are deleted for good (LGPD). This cannot be undone.`,
    );
    if (!ok) return;
    try {
      const res = await del(`/console/api/conversations/${encodeURIComponent(current.id)}/contact`);
      ctx.toast(`Erased ${who}: ${res.conversations ?? 0} conversation(s), ${res.leads ?? 0} lead(s).`);
      selectedId = null;
      current = null;
      ctx.setHash("conversations");
      renderDetail();
      inspector.clear();
      ctx.refreshSoon(0);
    } catch (err) {
      setError(takeoverError, errorText(err));
    }
  }

  // --- refresh

  async function refreshList() {
    const data = await get(`/console/api/conversations?filter=${encodeURIComponent(filter)}`);
    conversations = Array.isArray(data.conversations) ? data.conversations : [];
    renderList();
  }

  async function refreshDetail() {
    const id = selectedId;
    if (id === null) {
      current = null;
      renderDetail();
      return;
    }
    let data;
    try {
      data = await get(`/console/api/conversations/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && sameId(selectedId, id)) {
        selectedId = null;
        current = null;
        renderDetail();
        inspector.clear("That conversation no longer exists.");
        return;
      }
      throw err;
    }
    if (!sameId(selectedId, id)) return;
    nowIso = data.now ?? nowIso;
    current = data.conversation ?? null;
    renderDetail();
    chat.update(data.messages);
    await inspector.load(id);
  }

  async function refresh() {
    await Promise.all([refreshList(), refreshDetail()]);
  }

  function open(id) {
    select(id);
  }

  return {
    el,
    refresh,
    open,
    onShow: () => {
      if (templates) void loadTemplates(true);
    },
    title: "Conversations",
  };
}
