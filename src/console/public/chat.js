// WhatsApp-like message list, shared by the simulator (interactive) and the conversation view
// (read-only). Bubbles are cached by content so a re-fetch does not reload images or flicker.
import { fmtDay, fmtTime, h, icon, setChildren } from "./dom.js";

/**
 * createChat({ interactive, onReply(message), emptyText }) → { el, update(messages), clear(text) }.
 * onReply gets { type: "button_reply" | "list_reply", id, title, contextWamid }.
 */
export function createChat({ interactive = false, onReply = () => {}, emptyText = "No messages yet." } = {}) {
  const el = h("div", { class: "chat", testid: "chat", attrs: { role: "log", "aria-live": "polite" } });
  let cache = new Map();
  let stick = true;
  let lastKey = "";

  el.addEventListener("scroll", () => {
    stick = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  });

  const keepAtBottom = () => {
    if (stick) el.scrollTop = el.scrollHeight;
  };
  // The list shrinks when an error or the reply box appears: stay at the newest message.
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(keepAtBottom).observe(el);

  function update(messages) {
    const list = Array.isArray(messages) ? messages : [];
    const key = JSON.stringify(list);
    if (key === lastKey) return;
    lastKey = key;
    const nextCache = new Map();
    const nodes = [];
    let day = "";
    for (const message of list) {
      const thisDay = fmtDay(message.at);
      if (thisDay && thisDay !== day) {
        day = thisDay;
        nodes.push(h("div", { class: "chat-day" }, h("span", { text: thisDay })));
      }
      const signature = JSON.stringify(message);
      const cached = cache.get(message.id);
      const node =
        cached && cached.signature === signature
          ? cached.node
          : buildMessage(message, { interactive, onReply, onMediaLoad: keepAtBottom });
      nextCache.set(message.id, { signature, node });
      nodes.push(node);
    }
    cache = nextCache;
    if (nodes.length === 0) nodes.push(h("div", { class: "chat-empty", text: emptyText }));
    const wasStuck = stick;
    el.replaceChildren(...nodes);
    if (wasStuck) el.scrollTop = el.scrollHeight;
  }

  function clear(text) {
    cache = new Map();
    lastKey = "";
    stick = true;
    setChildren(el, h("div", { class: "chat-empty", text: text ?? emptyText }));
  }

  clear();
  return { el, update, clear };
}

function parseAuthor(author) {
  if (typeof author === "string" && author.startsWith("operator:")) {
    return { kind: "operator", name: author.slice("operator:".length) };
  }
  return { kind: author === "customer" ? "customer" : "agent", name: "" };
}

function messageText(render) {
  switch (render.kind) {
    case "text":
    case "buttons":
    case "template":
      return render.text ?? "";
    case "button_reply":
    case "list_reply":
      return render.title ?? "";
    case "media":
      return render.caption ?? "";
    default:
      return render.text || (render.type ? `[${render.type}]` : "");
  }
}

function buildMessage(message, { interactive, onReply, onMediaLoad }) {
  const render = message.render && typeof message.render === "object" ? message.render : { kind: "other" };
  const direction = message.direction === "in" ? "in" : "out";
  const author = parseAuthor(message.author);
  const bubble = h("div", { class: "bubble" });

  if (author.kind === "operator") {
    bubble.append(h("div", { class: "msg-author", text: `operator: ${author.name}` }));
  }
  if (render.kind === "template") {
    bubble.append(h("div", { class: "msg-label", text: `Template: ${render.name ?? "?"}` }));
  }
  if (render.kind === "button_reply" || render.kind === "list_reply") {
    bubble.append(
      h("div", {
        class: "msg-label",
        text: render.kind === "button_reply" ? "↩ button reply" : "↩ list reply",
      }),
    );
  }
  if (render.kind === "media") bubble.append(buildMedia(render, onMediaLoad));

  bubble.append(h("div", { class: "msg-text", testid: "msg-text", text: messageText(render) }));
  bubble.append(buildMeta(message, direction));

  const wrapper = h(
    "div",
    {
      class: `msg msg-${direction} msg-author-${author.kind}`,
      testid: "msg",
      dataset: { direction, status: message.status ?? "", id: message.id ?? "" },
    },
    bubble,
  );
  const buttons = replyOptions(render);
  if (buttons.length > 0) {
    const row = h("div", { class: "msg-buttons" });
    for (const option of buttons) {
      if (interactive && direction === "out") {
        row.append(
          h("button", {
            type: "button",
            class: "reply-button",
            testid: "reply-button",
            text: option.title,
            title: message.wamid ? option.description || option.title : "Not delivered yet",
            // As on a phone: a button can be tapped once the message has arrived (it has a wamid).
            disabled: !message.wamid,
            onClick: () =>
              onReply({ type: option.type, id: option.id, title: option.title, contextWamid: message.wamid }),
          }),
        );
      } else {
        row.append(h("span", { class: "reply-button is-static", text: option.title }));
      }
    }
    wrapper.append(row);
  }
  return wrapper;
}

function replyOptions(render) {
  if (render.kind === "buttons" && Array.isArray(render.buttons)) {
    return render.buttons.map((b) => ({ type: "button_reply", id: String(b.id), title: String(b.title) }));
  }
  if (render.kind === "template" && Array.isArray(render.buttons)) {
    return render.buttons.map((title) => ({ type: "button_reply", id: String(title), title: String(title) }));
  }
  if (render.kind === "list") {
    const rows = Array.isArray(render.rows)
      ? render.rows
      : Array.isArray(render.sections)
        ? render.sections.flatMap((s) => (Array.isArray(s.rows) ? s.rows : []))
        : [];
    return rows.map((r) => ({
      type: "list_reply",
      id: String(r.id),
      title: String(r.title),
      description: r.description ? String(r.description) : "",
    }));
  }
  return [];
}

function buildMedia(render, onMediaLoad) {
  const box = h("div", { class: "msg-media" });
  const hasUrl = typeof render.url === "string" && render.url !== "";
  if (render.mediaType === "image" && hasUrl) {
    const img = h("img", { class: "msg-image", src: render.url, alt: render.filename || "image" });
    img.addEventListener("load", onMediaLoad);
    img.addEventListener("error", () => {
      img.replaceWith(h("div", { class: "msg-doc is-missing", text: "Image not available" }));
    });
    box.append(h("a", { href: render.url, target: "_blank", rel: "noopener" }, img));
  } else if (render.mediaType === "audio" && hasUrl) {
    box.append(h("audio", { class: "msg-audio", controls: true, src: render.url, preload: "none" }));
  } else {
    const label = render.filename || render.mimeType || render.mediaType || "file";
    const doc = hasUrl
      ? h(
          "a",
          { class: "msg-doc", href: render.url, target: "_blank", rel: "noopener" },
          icon("doc", 22),
          label,
        )
      : h("div", { class: "msg-doc is-missing" }, icon("doc", 22), `${label} (no longer retained)`);
    box.append(doc);
  }
  const processing = render.processing;
  if (processing && typeof processing === "object" && processing.status) {
    const detail = processing.summary || processing.reason || "";
    box.append(
      h(
        "div",
        { class: `msg-processing processing-${String(processing.status).replace(/[^a-z_]/gi, "")}` },
        h("span", { class: "processing-status", text: String(processing.status) }),
        detail ? ` · ${detail}` : "",
      ),
    );
  }
  return box;
}

function buildMeta(message, direction) {
  const meta = h("div", { class: "msg-meta" }, h("span", { class: "msg-time", text: fmtTime(message.at) }));
  if (direction === "out") meta.append(ticks(message.status, message.error));
  return meta;
}

function ticks(status, error) {
  switch (status) {
    case "pending":
    case "sending":
      return h("span", { class: "ticks ticks-pending", title: status }, icon("clock", 12));
    case "sent":
      return h("span", { class: "ticks ticks-sent", title: "sent", text: "✓" });
    case "delivered":
      return h("span", { class: "ticks ticks-delivered", title: "delivered", text: "✓✓" });
    case "read":
      return h("span", { class: "ticks ticks-read", title: "read", text: "✓✓" });
    case "failed":
    case "dead":
    case "dropped":
      return h("span", {
        class: "ticks ticks-failed",
        title: error ? `${status}: ${error}` : status,
        text: "!",
      });
    default:
      return h("span", { class: "ticks", title: status ?? "" });
  }
}
