// Jobs tab: dead background jobs and failed sends, each with a retry.
import { errorText, get, post } from "./api.js";
import { fmtDateTime, h, setError, stringify } from "./dom.js";

/** A reply waiting this long to go out is shown as a warning. */
const WAITING_ALERT_SECONDS = 5 * 60;

export function createJobsView(ctx) {
  const deadBody = h("tbody");
  const failedBody = h("tbody");
  const deadCount = h("span", { class: "muted" });
  const failedCount = h("span", { class: "muted" });
  const error = h("div", { class: "error-text", hidden: true, testid: "jobs-error" });
  // Replies are retried for hours during an outage; past a few minutes an operator should know.
  const waiting = h("div", { class: "error-text", hidden: true, testid: "oldest-unsent" });
  const el = h(
    "div",
    { class: "view view-jobs view-scroll" },
    error,
    waiting,
    tableCard(
      "Dead jobs",
      deadCount,
      ["ID", "Task", "Attempts", "Last error", "Payload", "Run at", ""],
      deadBody,
    ),
    tableCard(
      "Failed sends",
      failedCount,
      ["Outbox ID", "Conversation", "Status", "Error", "At", ""],
      failedBody,
    ),
  );

  async function retry(button, path) {
    setError(error, "");
    button.disabled = true;
    try {
      const res = await post(path);
      ctx.toast(res.retried === false || res.retried === 0 ? "Nothing was retried." : "Queued again.");
    } catch (err) {
      setError(error, errorText(err));
    }
    ctx.refreshSoon(0);
  }

  function retryButton(testid, path) {
    const button = h("button", { type: "button", class: "btn btn-small", testid, text: "Retry" });
    button.addEventListener("click", () => void retry(button, path));
    return button;
  }

  function emptyRow(cols, text) {
    return h("tr", null, h("td", { class: "muted", colSpan: cols, text }));
  }

  async function refresh() {
    const [dead, failed] = await Promise.all([
      get("/console/api/jobs/dead"),
      get("/console/api/outbox/failed"),
    ]);
    const jobs = Array.isArray(dead.jobs) ? dead.jobs : [];
    const messages = Array.isArray(failed.messages) ? failed.messages : [];
    deadCount.textContent = String(jobs.length);
    failedCount.textContent = String(messages.length);
    const age = Number(failed.oldestUnsentSeconds ?? 0);
    waiting.hidden = !(age >= WAITING_ALERT_SECONDS);
    waiting.textContent = waiting.hidden
      ? ""
      : `The oldest reply has been waiting to go out for ${Math.floor(age / 60)} min (Meta unreachable or refusing sends?).`;
    ctx.setCount("jobs", jobs.length + messages.length);
    deadBody.replaceChildren(
      ...(jobs.length
        ? jobs.map((job) =>
            h(
              "tr",
              { testid: "dead-job", dataset: { id: String(job.id) } },
              h("td", { class: "mono", text: stringify(job.id) }),
              h("td", { class: "mono", text: job.task ?? "" }),
              h("td", { class: "num", text: stringify(job.attempts) }),
              h("td", { class: "error-cell", text: job.lastError ?? "" }),
              h(
                "td",
                null,
                h("code", { class: "payload", text: stringify(job.payload), title: stringify(job.payload) }),
              ),
              h("td", { class: "nowrap", text: fmtDateTime(job.runAt) }),
              h(
                "td",
                null,
                retryButton("job-retry", `/console/api/jobs/${encodeURIComponent(job.id)}/retry`),
              ),
            ),
          )
        : [emptyRow(7, "No dead jobs.")]),
    );
    failedBody.replaceChildren(
      ...(messages.length
        ? messages.map((m) =>
            h(
              "tr",
              { testid: "failed-send", dataset: { id: String(m.id) } },
              h("td", { class: "mono", text: stringify(m.id) }),
              h(
                "td",
                null,
                m.conversationId === null || m.conversationId === undefined
                  ? "—"
                  : h("button", {
                      type: "button",
                      class: "btn btn-link",
                      text: `#${m.conversationId}`,
                      onClick: () => ctx.openConversation(m.conversationId),
                    }),
              ),
              h("td", null, h("span", { class: "badge badge-danger", text: m.status ?? "" })),
              h("td", { class: "error-cell", text: m.error ?? "" }),
              h("td", { class: "nowrap", text: fmtDateTime(m.at) }),
              h(
                "td",
                null,
                retryButton("send-retry", `/console/api/outbox/${encodeURIComponent(m.id)}/retry`),
              ),
            ),
          )
        : [emptyRow(6, "No failed sends.")]),
    );
  }

  return { el, refresh, title: "Jobs" };
}

function tableCard(title, count, headings, body) {
  return h(
    "section",
    { class: "card" },
    h("div", { class: "card-title" }, h("span", { text: title }), count),
    h(
      "table",
      { class: "table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headings.map((t) => h("th", { text: t })),
        ),
      ),
      body,
    ),
  );
}
