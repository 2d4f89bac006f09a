// Operator console and WhatsApp chat simulator: session and login, tabs, live updates.
import { ApiError, api, errorText, get, onUnauthorized, post, setCsrf } from "./api.js";
import { createConversationsView } from "./conversations.js";
import { h, setChildren, setError } from "./dom.js";
import { createJobsView } from "./jobs.js";
import { createReviewView } from "./review.js";
import { createSimulatorView } from "./simulator.js";
import { createTemplatesView } from "./templates.js";

const app = document.getElementById("app");
const POLL_MS = 5000;

let session = null;
let views = {};
let tabs = {};
let currentName = null;
let events = null;
let pollTimer = null;
let shell = null;

// --- start, login, logout

async function start() {
  stopLive();
  try {
    // The local default's login link (printed at start-up) carries its token in the fragment:
    // presented once, then dropped from the address bar.
    const link = /(?:^#|&)login=([\w-]+)/.exec(location.hash);
    if (link) history.replaceState(null, "", location.pathname + location.search);
    const s = await api("GET", "/console/api/session", {
      allow401: true,
      headers: link ? { "X-Console-Login": link[1] } : {},
    });
    session = s;
    setCsrf(s.csrf);
    showApp();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin();
    else showFatal(err);
  }
}

function showFatal(err) {
  setChildren(
    app,
    h(
      "div",
      { class: "center-box card" },
      h("h1", { text: "The console cannot start" }),
      h("p", { class: "error-text", text: errorText(err) }),
      h("button", {
        type: "button",
        class: "btn btn-primary",
        text: "Try again",
        onClick: () => void start(),
      }),
    ),
  );
}

function showLogin(reason) {
  stopLive();
  session = null;
  shell = null;
  const operator = h("input", {
    class: "input",
    testid: "login-operator",
    name: "operator",
    autocomplete: "username",
    required: true,
    value: rememberedOperator(),
  });
  const password = h("input", {
    class: "input",
    testid: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("div", {
    class: "error-text",
    testid: "login-error",
    hidden: true,
    attrs: { role: "alert" },
  });
  const submit = h("button", {
    type: "submit",
    class: "btn btn-primary",
    testid: "login-submit",
    text: "Sign in",
  });
  const form = h(
    "form",
    { class: "login-form card", testid: "login-form", noValidate: false },
    h("h1", { text: "Operator console" }),
    h("p", { class: "muted", text: "Sign in to follow and take over WhatsApp conversations." }),
    h("p", {
      class: "muted",
      text: "The password is shared by the team: your name labels what you do here, it does not prove who you are.",
    }),
    h("label", { class: "field" }, h("span", { text: "Operator name" }), operator),
    h("label", { class: "field" }, h("span", { text: "Password" }), password),
    error,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void login();
  });

  async function login() {
    setError(error, "");
    submit.disabled = true;
    try {
      const res = await api("POST", "/console/api/login", {
        json: { operator: operator.value.trim(), password: password.value },
        allow401: true,
      });
      setCsrf(res.csrf);
      rememberOperator(operator.value.trim());
      await start();
    } catch (err) {
      let message = errorText(err);
      if (err instanceof ApiError && err.status === 429 && err.body.retryAfterSec !== undefined) {
        message = `${message} (try again in ${err.body.retryAfterSec} s)`;
      }
      setError(error, message);
      password.select();
    } finally {
      submit.disabled = false;
    }
  }

  const notice = reason ? h("p", { class: "muted small", testid: "login-notice", text: reason }) : null;
  setChildren(app, h("div", { class: "login-page" }, form, notice));
  (operator.value ? password : operator).focus();
}

function rememberedOperator() {
  try {
    return localStorage.getItem("console.operator") ?? "";
  } catch {
    return "";
  }
}

function rememberOperator(name) {
  try {
    localStorage.setItem("console.operator", name);
  } catch {
    // not kept
  }
}

async function logout() {
  try {
    await post("/console/api/logout");
  } catch {
    // the session may already be gone
  }
  setCsrf("");
  await start();
}

onUnauthorized(() => {
  if (session) showLogin("Your session ended. Sign in again.");
});

// --- shell and tabs

function showApp() {
  const ctx = {
    operator: () => session?.operator ?? "",
    refreshSoon,
    toast,
    setHash,
    setCount,
    openConversation: (id) => {
      showTab("conversations");
      views.conversations.open(id);
    },
  };
  views = {};
  if (session.simulator) views.simulator = createSimulatorView(ctx);
  views.conversations = createConversationsView(ctx);
  views.review = createReviewView(ctx);
  views.jobs = createJobsView(ctx);
  views.templates = createTemplatesView(ctx);

  tabs = {};
  const nav = h("nav", { class: "tabs", attrs: { role: "tablist" } });
  for (const [name, view] of Object.entries(views)) {
    const count = h("span", { class: "tab-count", hidden: true });
    const tab = h(
      "button",
      {
        type: "button",
        class: "tab",
        testid: `tab-${name}`,
        attrs: { role: "tab", "aria-selected": "false" },
        onClick: () => showTab(name),
      },
      view.title,
      count,
    );
    tabs[name] = { tab, count };
    nav.append(tab);
  }

  const live = h("span", { class: "live", testid: "live", title: "Live updates" });
  const main = h("main", { class: "main" });
  const banner = h("div", { class: "banner", testid: "app-error", hidden: true });
  const toasts = h("div", { class: "toasts", attrs: { "aria-live": "polite" } });
  const top = h(
    "header",
    { class: "topbar" },
    h("div", { class: "brand" }, h("span", { class: "brand-dot" }), "Agent console"),
    nav,
    h("span", { class: "spacer" }),
    live,
    session.transport
      ? h("span", { class: "badge badge-muted", text: `transport: ${session.transport}` })
      : null,
    h(
      "span",
      { class: "operator" },
      "Signed in as ",
      h("strong", { testid: "operator-name", text: session.operator }),
    ),
    h("button", {
      type: "button",
      class: "btn btn-small",
      testid: "logout",
      text: "Log out",
      onClick: () => void logout(),
    }),
  );
  shell = { main, banner, toasts, live };
  setChildren(app, h("div", { class: "shell" }, top, banner, main, toasts));
  currentName = null;
  route();
  startLive();
  void updateCounts();
}

function defaultTab() {
  return views.simulator ? "simulator" : "conversations";
}

function route() {
  const [name, arg] = decodeURIComponent(window.location.hash.slice(1)).split("/");
  const tab = views[name] ? name : defaultTab();
  showTab(tab);
  if (tab === "conversations" && arg) views.conversations.open(arg);
}

function showTab(name) {
  if (!views[name] || !shell) return;
  if (currentName !== name) {
    currentName = name;
    for (const [n, { tab }] of Object.entries(tabs)) {
      tab.classList.toggle("is-active", n === name);
      tab.setAttribute("aria-selected", String(n === name));
    }
    setChildren(shell.main, views[name].el);
    views[name].onShow?.();
    if (!window.location.hash.startsWith(`#${name}`)) setHash(name);
  }
  refreshSoon(0);
}

function setHash(value) {
  history.replaceState(null, "", `#${value}`);
}

window.addEventListener("hashchange", () => {
  if (shell) route();
});

function setCount(name, n) {
  const entry = tabs[name];
  if (!entry) return;
  entry.count.textContent = String(n);
  entry.count.hidden = !n;
}

async function updateCounts() {
  try {
    const [leads, dead, failed] = await Promise.all([
      get("/console/api/leads?outcome=needs_review"),
      get("/console/api/jobs/dead"),
      get("/console/api/outbox/failed"),
    ]);
    setCount("review", leads.leads?.length ?? 0);
    setCount("jobs", (dead.jobs?.length ?? 0) + (failed.messages?.length ?? 0));
  } catch {
    // counts are a hint only
  }
}

function toast(text) {
  if (!shell) return;
  const item = h("div", { class: "toast", testid: "toast", text });
  shell.toasts.append(item);
  setTimeout(() => item.remove(), 4000);
}

// --- refreshing what is visible

let refreshTimer = null;
let refreshing = false;
let refreshAgain = false;

function refreshSoon(delay = 150) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshVisible(), delay);
}

async function refreshVisible() {
  if (!shell || !currentName) return;
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  const view = views[currentName];
  try {
    await view.refresh();
    if (shell) setError(shell.banner, "");
  } catch (err) {
    if (shell && !(err instanceof ApiError && err.status === 401)) {
      setError(shell.banner, `Could not refresh: ${errorText(err)}`);
    }
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      refreshSoon(0);
    }
  }
}

// --- live updates: server-sent events, with polling while they are down

function startLive() {
  openEvents();
  pollTimer = setInterval(() => {
    if (!events || events.readyState === EventSource.CLOSED) openEvents();
    if (!events || events.readyState !== EventSource.OPEN) {
      if (!document.hidden) refreshSoon(0);
    }
  }, POLL_MS);
}

function openEvents() {
  if (events) events.close();
  events = null;
  if (typeof EventSource === "undefined") return;
  const source = new EventSource("/console/api/events", { withCredentials: true });
  events = source;
  if (shell?.live.dataset.state !== "polling") setLive("connecting");
  source.addEventListener("open", () => setLive("live"));
  source.addEventListener("error", () =>
    setLive(source.readyState === EventSource.CLOSED ? "polling" : "connecting"),
  );
  source.addEventListener("change", (event) => {
    refreshSoon(150);
    let data = {};
    try {
      data = JSON.parse(event.data);
    } catch {
      // a change without details: refresh what is visible anyway
    }
    if (data.leads || data.jobs) void updateCounts();
  });
}

function setLive(state) {
  if (!shell) return;
  shell.live.dataset.state = state;
  shell.live.textContent = state === "live" ? "live" : state === "connecting" ? "reconnecting…" : "polling";
}

function stopLive() {
  if (events) events.close();
  events = null;
  clearInterval(pollTimer);
  pollTimer = null;
}

void start();
