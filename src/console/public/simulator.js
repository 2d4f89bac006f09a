// Simulator tab: be the customer on a WhatsApp-like phone, move the conversation clock, and watch the
// bot's turns in the inspector beside the chat.
import { ApiError, api, errorText, get, post } from "./api.js";
import { createChat } from "./chat.js";
import { badge, fmtBytes, fmtOffset, fmtWhen, h, icon, setError } from "./dom.js";
import { createInspector } from "./inspector.js";

const HOUR = 3_600_000;
const ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,audio/ogg";

function randomWaId() {
  return `5511999${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;
}

function remembered(key, fallback) {
  try {
    return sessionStorage.getItem(key) || fallback;
  } catch {
    return fallback;
  }
}

function remember(key, value) {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // storage unavailable: the contact is simply not kept across reloads
  }
}

export function createSimulatorView(ctx) {
  let conversationId = null;
  let limits = null;
  let nowIso = null;

  // Contact picker
  const waIdInput = h("input", {
    class: "input mono",
    testid: "sim-waid",
    inputMode: "numeric",
    autocomplete: "off",
    value: remembered("sim.waId", randomWaId()),
    attrs: { "aria-label": "WhatsApp number", pattern: "[0-9]*" },
  });
  const nameInput = h("input", {
    class: "input",
    testid: "sim-name",
    autocomplete: "off",
    value: remembered("sim.name", "Cliente Teste"),
    attrs: { "aria-label": "Contact name" },
  });
  const newContact = h("button", {
    type: "button",
    class: "btn",
    testid: "sim-new-contact",
    text: "New contact",
  });

  // Clock
  const clockText = h("span", { class: "sim-clock mono", testid: "sim-clock", text: "—" });
  const clockResult = h("span", { class: "muted clock-result", testid: "clock-result" });
  const clockError = h("span", { class: "error-text", testid: "clock-error", hidden: true });
  const customHours = h("input", {
    class: "input input-hours",
    type: "number",
    min: "0",
    step: "0.5",
    placeholder: "h",
    title: "Hours to advance",
    testid: "clock-hours",
    attrs: { "aria-label": "Hours to advance" },
  });
  const clockButton = (hours) =>
    h("button", {
      type: "button",
      class: "btn btn-small",
      testid: `clock-plus-${hours}h`,
      text: `+${hours} h`,
      onClick: () => void advanceClock(hours),
    });

  const resultRow = h("div", { class: "row row-result", hidden: true }, clockResult, clockError);
  const showClockOutcome = (result, error) => {
    clockResult.textContent = result;
    setError(clockError, error);
    resultRow.hidden = !result && !error;
  };

  // Phone
  const headerName = h("div", { class: "phone-name", text: nameInput.value });
  const headerSub = h("div", { class: "phone-sub", text: waIdInput.value });
  const windowState = h("div", {
    class: "window-state",
    testid: "window-state",
    text: "No conversation yet",
  });
  const stateBadge = h("span", { class: "phone-state" });
  const chat = createChat({
    interactive: true,
    onReply: (reply) => void sendMessage(reply),
    emptyText: "No messages yet. Write as the customer to start.",
  });
  const uploadError = h("div", { class: "phone-error", testid: "upload-error", hidden: true });
  const sendError = h("div", { class: "phone-error", testid: "sim-error", hidden: true });
  const input = h("textarea", {
    class: "composer-input",
    testid: "sim-input",
    rows: 1,
    placeholder: "Type a message",
    title: "Enter sends, Shift+Enter adds a line. Text typed here becomes the caption of an attached file.",
    attrs: { "aria-label": "Message" },
  });
  const fileInput = h("input", {
    type: "file",
    class: "visually-hidden",
    testid: "sim-attach",
    accept: ACCEPT,
    id: "sim-attach",
  });
  const attachLabel = h(
    "label",
    { class: "composer-icon", title: "Attach a photo, PDF or voice note", htmlFor: "sim-attach" },
    icon("attach", 20),
  );
  const sendButton = h(
    "button",
    {
      type: "button",
      class: "composer-send",
      testid: "sim-send",
      title: "Send",
      attrs: { "aria-label": "Send" },
    },
    icon("send", 20),
  );
  const inspector = createInspector();

  const phone = h(
    "div",
    { class: "phone" },
    h(
      "div",
      { class: "phone-header" },
      h("div", { class: "avatar" }, icon("user", 22)),
      h("div", { class: "phone-title" }, headerName, headerSub),
      h("div", { class: "phone-right" }, stateBadge, windowState),
    ),
    chat.el,
    uploadError,
    sendError,
    h("div", { class: "composer" }, attachLabel, fileInput, input, sendButton),
  );

  const controls = h(
    "section",
    { class: "card sim-controls" },
    h(
      "div",
      { class: "row" },
      h("label", { class: "field field-waid" }, h("span", { text: "WhatsApp number" }), waIdInput),
      h("label", { class: "field field-name" }, h("span", { text: "Name" }), nameInput),
      newContact,
    ),
    h(
      "div",
      { class: "row row-clock" },
      h("span", { class: "field-label", title: "Conversation clock" }, icon("clock", 15)),
      clockText,
      clockButton(1),
      clockButton(23),
      clockButton(25),
      customHours,
      h("button", {
        type: "button",
        class: "btn btn-small",
        testid: "clock-advance",
        text: "Go",
        title: "Advance the clock by this many hours",
        onClick: () => {
          const hours = Number(customHours.value);
          if (!Number.isFinite(hours) || hours <= 0) {
            showClockOutcome("", "Enter a number of hours greater than 0.");
            return;
          }
          void advanceClock(hours);
        },
      }),
    ),
    resultRow,
  );

  const el = h(
    "div",
    { class: "view view-simulator" },
    h("div", { class: "sim-left" }, controls, phone),
    h("div", { class: "sim-right" }, inspector.el),
  );

  // --- behaviour

  function contactChanged() {
    const digits = waIdInput.value.replace(/\D+/g, "");
    if (digits !== waIdInput.value) waIdInput.value = digits;
    remember("sim.waId", digits);
    remember("sim.name", nameInput.value);
    headerName.textContent = nameInput.value || "Cliente Teste";
    headerSub.textContent = digits;
    conversationId = null;
    chat.clear();
    inspector.clear("No turns yet.");
    showConversation(null);
    ctx.refreshSoon();
  }

  let waIdTimer = null;
  waIdInput.addEventListener("input", () => {
    clearTimeout(waIdTimer);
    waIdTimer = setTimeout(contactChanged, 400);
  });
  nameInput.addEventListener("input", () => {
    remember("sim.name", nameInput.value);
    headerName.textContent = nameInput.value || "Cliente Teste";
  });
  newContact.addEventListener("click", () => {
    clearTimeout(waIdTimer);
    waIdInput.value = randomWaId();
    contactChanged();
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });
  sendButton.addEventListener("click", () => sendText());
  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (file) void upload(file);
  });

  function contact() {
    return { waId: waIdInput.value.replace(/\D+/g, ""), name: nameInput.value.trim() || "Cliente Teste" };
  }

  function sendText() {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    void sendMessage({ type: "text", text }).then((ok) => {
      if (!ok && !input.value) input.value = text;
    });
    input.focus();
  }

  async function sendMessage(message) {
    const { waId, name } = contact();
    if (!waId) {
      setError(sendError, "Enter a WhatsApp number first.");
      return false;
    }
    setError(sendError, "");
    try {
      const res = await post("/console/api/simulator/messages", { waId, name, message });
      if (res.conversationId !== undefined && res.conversationId !== null)
        conversationId = res.conversationId;
      ctx.refreshSoon();
      return true;
    } catch (err) {
      setError(sendError, errorText(err));
      return false;
    }
  }

  async function upload(file) {
    setError(uploadError, "");
    const refusal = checkFile(file);
    if (refusal) {
      setError(uploadError, refusal);
      return;
    }
    const { waId, name } = contact();
    if (!waId) {
      setError(uploadError, "Enter a WhatsApp number first.");
      return;
    }
    const caption = input.value.trim();
    const query = new URLSearchParams({ waId, name, filename: file.name, caption });
    try {
      const res = await api("POST", `/console/api/simulator/media?${query}`, {
        body: file,
        contentType: file.type || "application/octet-stream",
      });
      if (caption && input.value.trim() === caption) input.value = "";
      if (res.conversationId !== undefined && res.conversationId !== null)
        conversationId = res.conversationId;
      ctx.refreshSoon();
    } catch (err) {
      const prefix = err instanceof ApiError && (err.status === 413 || err.status === 415) ? "Refused: " : "";
      setError(uploadError, `${prefix}${errorText(err)}`);
    }
  }

  function checkFile(file) {
    if (!limits) return "";
    const types = Array.isArray(limits.mimeTypes) ? limits.mimeTypes : [];
    if (types.length > 0 && !types.includes(file.type)) {
      return `"${file.name}" is ${file.type || "of an unknown type"}; the bot reads only ${types.join(", ")}.`;
    }
    if (typeof limits.maxBytes === "number" && file.size > limits.maxBytes) {
      return `"${file.name}" is ${fmtBytes(file.size)}; the limit is ${fmtBytes(limits.maxBytes)}.`;
    }
    return "";
  }

  async function advanceClock(hours) {
    try {
      const res = await post("/console/api/simulator/clock", { advanceMs: Math.round(hours * HOUR) });
      showClock(res.now, res.offsetMs);
      const fired = Array.isArray(res.followUps) ? res.followUps.length : Number(res.followUps) || 0;
      showClockOutcome(`Advanced +${hours} h · ${fired} follow-up${fired === 1 ? "" : "s"} fired`, "");
      ctx.refreshSoon();
    } catch (err) {
      showClockOutcome("", errorText(err));
    }
  }

  function showClock(now, offsetMs) {
    if (now) nowIso = now;
    clockText.textContent = `${fmtWhen(now)} (${fmtOffset(offsetMs)})`;
    clockText.title = now ? new Date(now).toString() : "";
  }

  function showConversation(conversation) {
    stateBadge.replaceChildren();
    if (!conversation) {
      windowState.textContent = "No conversation yet";
      windowState.dataset.state = "none";
      return;
    }
    if (conversation.customerName) headerName.textContent = conversation.customerName;
    stateBadge.append(badge(conversation.state ?? "?", "state"));
    if (conversation.takenBy) stateBadge.append(badge(`taken by ${conversation.takenBy}`, "warn"));
    else if (conversation.handoff) stateBadge.append(badge("handoff", "warn"));
    const win = conversation.window ?? {};
    windowState.dataset.state = win.open ? "open" : "closed";
    windowState.textContent = win.open
      ? `Window open until ${fmtWhen(win.closesAt, nowIso)}`
      : "Window closed (templates only)";
  }

  async function findConversation(waId) {
    const data = await get(`/console/api/conversations?filter=all&customer=${encodeURIComponent(waId)}`);
    const match = (data.conversations ?? []).find((c) => c.customer === waId);
    return match ? match.id : null;
  }

  async function refreshSimulator() {
    const sim = await get("/console/api/simulator");
    limits = sim.limits ?? null;
    showClock(sim.now, sim.offsetMs);
    // The clock can be moved only where it is the sandbox's own (see docs/console-api.md).
    const movable = sim.clockMovable !== false;
    for (const control of el.querySelectorAll('[data-testid^="clock-"]')) {
      if (control instanceof HTMLButtonElement || control instanceof HTMLInputElement)
        control.disabled = !movable;
    }
    clockText.title = movable
      ? clockText.title
      : "Real time: the clock moves only in the sandbox with ROLE=all";
  }

  async function refreshConversation() {
    const { waId } = contact();
    if (!waId) return;
    if (conversationId === null) conversationId = await findConversation(waId);
    if (conversationId === null) {
      showConversation(null);
      return;
    }
    const id = conversationId;
    let data;
    try {
      data = await get(`/console/api/conversations/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && conversationId === id) {
        conversationId = null;
        chat.clear();
        inspector.clear("No turns yet.");
        showConversation(null);
        return;
      }
      throw err;
    }
    if (conversationId !== id) return;
    if (data.now) nowIso = data.now;
    showConversation(data.conversation);
    chat.update(data.messages);
    await inspector.load(id);
  }

  async function refresh() {
    await Promise.all([refreshSimulator(), refreshConversation()]);
  }

  return { el, refresh, title: "Simulator" };
}
