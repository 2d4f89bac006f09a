// DOM helpers. Data from the server (customer text above all) is untrusted: it only ever reaches the
// page through textContent, attribute values and URL checks, never through HTML parsing.

/**
 * Creates an element. props: class, testid, text, dataset {}, attrs {}, on<Event> handlers, and any
 * other key set as a property (type, value, placeholder, disabled, hidden, title, href, src...).
 * Children: nodes, strings (as text), arrays, and null/undefined/false (skipped).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") el.className = value;
    else if (key === "testid") el.dataset.testid = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "attrs") {
      for (const [name, v] of Object.entries(value)) {
        if (v !== undefined && v !== null && name !== "style") el.setAttribute(name, String(v));
      }
    } else if (key === "href" || key === "src") {
      const url = safeUrl(value);
      if (url) el[key] = url;
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else el[key] = value;
  }
}

export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** A small SVG icon from path data (no markup parsing). */
export function icon(name, size = 16) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("icon", `icon-${name}`);
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

const ICONS = {
  clock: ["M12 3a9 9 0 1 0 0 18a9 9 0 0 0 0-18z", "M12 7v5l3 2"],
  send: ["M3 20l18-8L3 4v6l12 2-12 2z"],
  attach: [
    "M16.5 6.5l-8 8a2.5 2.5 0 0 0 3.5 3.5l8.5-8.5a4.5 4.5 0 0 0-6.4-6.4l-8.5 8.5a6.5 6.5 0 0 0 9.2 9.2l7-7",
  ],
  doc: ["M6 2h8l5 5v15H6z", "M14 2v5h5"],
  user: ["M12 12a4.5 4.5 0 1 0 0-9a4.5 4.5 0 0 0 0 9z", "M3.5 21a8.5 8.5 0 0 1 17 0"],
};

/** Returns the URL when it is same-origin relative or http(s)/blob, else null. */
export function safeUrl(value) {
  if (typeof value !== "string" || value === "") return null;
  try {
    const url = new URL(value, window.location.href);
    return ["http:", "https:", "blob:"].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** Replaces the element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Shows a message in an error slot (hidden when empty). */
export function setError(el, message) {
  el.textContent = message ? String(message) : "";
  el.hidden = !message;
}

export function stringify(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function toDate(iso) {
  if (iso === null || iso === undefined || iso === "") return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

const timeFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const secondsFormat = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const dayFormat = new Intl.DateTimeFormat("en-GB", { day: "2-digit", month: "short", year: "numeric" });
const shortDayFormat = new Intl.DateTimeFormat("en-GB", { day: "2-digit", month: "short" });

export function fmtTime(iso) {
  const date = toDate(iso);
  return date ? timeFormat.format(date) : "";
}

export function fmtSeconds(iso) {
  const date = toDate(iso);
  return date ? secondsFormat.format(date) : "";
}

export function fmtDay(iso) {
  const date = toDate(iso);
  return date ? dayFormat.format(date) : "";
}

/** "14:05" when on the same day as reference, else "12 Mar 14:05". */
export function fmtWhen(iso, reference) {
  const date = toDate(iso);
  if (!date) return "";
  const ref = toDate(reference) ?? new Date();
  if (date.toDateString() === ref.toDateString()) return timeFormat.format(date);
  return `${shortDayFormat.format(date)} ${timeFormat.format(date)}`;
}

export function fmtDateTime(iso) {
  const date = toDate(iso);
  return date ? `${dayFormat.format(date)} ${timeFormat.format(date)}` : "";
}

export function fmtMs(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** offsetMs as "+25 h" (or "+1 h 30 min", "+0 h"). */
export function fmtOffset(ms) {
  const total = Math.max(0, Math.round((Number(ms) || 0) / 60_000));
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  return minutes ? `+${hours} h ${minutes} min` : `+${hours} h`;
}

export function fmtBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function badge(text, kind = "", testid) {
  return h("span", { class: `badge${kind ? ` badge-${kind}` : ""}`, text, testid });
}

/** A debounced function (trailing call). */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
