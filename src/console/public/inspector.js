// Turn inspector: the turns of one conversation, and for the selected one the state change, slots,
// score and a timeline of its stages on a common scale.
import { get } from "./api.js";
import { fmtMs, fmtSeconds, h, setChildren, stringify } from "./dom.js";

export function createInspector() {
  const list = h("div", { class: "turn-list", testid: "turn-list" });
  const detail = h("div", { class: "turn-detail" });
  const count = h("span", { class: "muted" });
  const el = h(
    "section",
    { class: "card inspector", testid: "inspector" },
    h("div", { class: "card-title" }, h("span", { text: "Turn inspector" }), count),
    list,
    detail,
  );
  let turns = [];
  let selectedId = null; // null: follow the newest turn
  let conversationId = null;
  let lastKey = "";

  function clear(text = "Pick a conversation to see its turns.") {
    conversationId = null;
    turns = [];
    selectedId = null;
    lastKey = "";
    count.textContent = "";
    list.replaceChildren();
    setChildren(detail, h("div", { class: "empty", text }));
  }

  async function load(id) {
    if (id !== conversationId) {
      conversationId = id;
      selectedId = null;
      lastKey = "";
    }
    const data = await get(`/console/api/conversations/${encodeURIComponent(id)}/turns`);
    if (id !== conversationId) return;
    const next = Array.isArray(data.turns) ? data.turns : [];
    const key = JSON.stringify(next);
    if (key === lastKey) return;
    lastKey = key;
    turns = next;
    render();
  }

  function render() {
    count.textContent = turns.length ? `${turns.length} turn${turns.length === 1 ? "" : "s"}` : "";
    if (selectedId !== null && !turns.some((t) => t.id === selectedId)) selectedId = null;
    const selected = selectedId === null ? turns[0] : turns.find((t) => t.id === selectedId);
    list.replaceChildren(
      ...turns.map((turn) =>
        h(
          "button",
          {
            type: "button",
            class: `turn-item${turn === selected ? " is-selected" : ""}`,
            testid: "turn-item",
            dataset: { id: String(turn.id) },
            onClick: () => {
              selectedId = turn === turns[0] ? null : turn.id;
              render();
            },
          },
          h("span", { class: "turn-time", text: fmtSeconds(turn.startedAt) }),
          h("span", { class: "turn-inbound", text: inboundSummary(turn) }),
          h("span", { class: "turn-after", text: turn.stateAfter?.state ?? "" }),
        ),
      ),
    );
    if (!selected) {
      setChildren(detail, h("div", { class: "empty", text: "No turns yet." }));
      return;
    }
    setChildren(detail, ...renderTurn(selected));
  }

  clear();
  return { el, load, clear };
}

function inboundSummary(turn) {
  const parts = (Array.isArray(turn.inbound) ? turn.inbound : []).map((m) => m.text || `[${m.type}]`);
  return parts.length ? parts.join(" · ") : "(no inbound message)";
}

function renderTurn(turn) {
  const before = turn.stateBefore ?? {};
  const after = turn.stateAfter ?? {};
  const head = h(
    "div",
    { class: "turn-head" },
    h("div", {
      class: "turn-state",
      testid: "turn-state",
      text: `${before.state ?? "?"} → ${after.state ?? "?"}`,
    }),
    after.done ? h("span", { class: "badge badge-ok", text: "done" }) : null,
    h("div", {
      class: "turn-score",
      testid: "turn-score",
      text: `Score ${turn.score === null || turn.score === undefined ? "—" : stringify(turn.score)}`,
    }),
    h("div", { class: "muted", text: `${fmtMs(turn.totalMs)} total · ${turn.agentId ?? ""}` }),
  );
  return [
    head,
    h("div", { class: "section-label", text: "Timeline" }),
    renderTimeline(turn),
    h("div", { class: "section-label", text: "Slots after the turn" }),
    renderSlots(before.slots ?? {}, after.slots ?? {}),
  ];
}

function renderSlots(before, after) {
  const table = h("table", { class: "table slots-table", testid: "turn-slots" });
  table.append(
    h(
      "thead",
      null,
      h("tr", null, h("th", { text: "Slot" }), h("th", { text: "Value" }), h("th", { text: "Before" })),
    ),
  );
  const body = h("tbody");
  const names = Object.keys(after);
  for (const name of Object.keys(before)) if (!names.includes(name)) names.push(name);
  for (const name of names) {
    const now = stringify(after[name]);
    const was = stringify(before[name]);
    body.append(
      h(
        "tr",
        { class: now !== was ? "is-changed" : "" },
        h("td", { class: "mono", text: name }),
        h("td", { text: now }),
        h("td", { class: "muted", text: now !== was ? was || "—" : "" }),
      ),
    );
  }
  if (names.length === 0)
    body.append(h("tr", null, h("td", { colSpan: 3, class: "muted", text: "No slots." })));
  table.append(body);
  return table;
}

function renderTimeline(turn) {
  const stages = Array.isArray(turn.stages) ? turn.stages : [];
  const timeline = h("div", { class: "timeline", testid: "timeline" });
  if (stages.length === 0) {
    timeline.append(h("div", { class: "empty", text: "No stages recorded." }));
    return timeline;
  }
  let scale = Number(turn.totalMs) || 0;
  for (const stage of stages) scale = Math.max(scale, (Number(stage.startMs) || 0) + (Number(stage.ms) || 0));
  if (scale <= 0) scale = 1;
  for (const stage of stages) {
    const start = Math.max(0, Number(stage.startMs) || 0);
    const ms = Math.max(0, Number(stage.ms) || 0);
    const bar = h("div", { class: "stage-bar", title: `${stage.name}: ${fmtMs(ms)} from ${fmtMs(start)}` });
    bar.style.left = `${(start / scale) * 100}%`;
    bar.style.width = `${(ms / scale) * 100}%`;
    const detail = fmtDetail(stage.detail);
    timeline.append(
      h(
        "div",
        { class: "stage", testid: "stage", dataset: { stage: String(stage.name ?? "") } },
        h(
          "div",
          { class: "stage-label", title: detail },
          h("span", { class: "stage-name", text: stage.name ?? "?" }),
          h("span", { class: "stage-ms", text: fmtMs(ms) }),
          detail ? h("span", { class: "stage-detail", text: detail }) : null,
        ),
        h("div", { class: "stage-track" }, bar),
      ),
    );
  }
  timeline.append(
    h(
      "div",
      { class: "stage-axis" },
      h("span"),
      h(
        "div",
        { class: "stage-axis-scale" },
        h("span", { text: "0" }),
        h("span", { text: fmtMs(scale / 2) }),
        h("span", { text: fmtMs(scale) }),
      ),
    ),
  );
  return timeline;
}

/** A stage's detail: strings as they are, objects as "key value, key value". */
function fmtDetail(detail) {
  if (detail === null || detail === undefined) return "";
  if (typeof detail !== "object") return String(detail);
  if (Array.isArray(detail)) return detail.map(fmtDetail).join(", ");
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.map(fmtDetail).join("+") || "none" : fmtDetail(v)}`)
    .join(", ");
}
