// Templates tab: the message templates and their approval state at Meta.
import { get } from "./api.js";
import { fmtDateTime, h } from "./dom.js";

const STATUS_KIND = {
  APPROVED: "ok",
  PENDING: "warn",
  IN_APPEAL: "warn",
  REJECTED: "danger",
  PAUSED: "danger",
  DISABLED: "danger",
};

export function createTemplatesView() {
  const body = h("tbody");
  const el = h(
    "div",
    { class: "view view-templates view-scroll" },
    h(
      "section",
      { class: "card" },
      h("div", { class: "card-title" }, h("span", { text: "Message templates" })),
      h(
        "table",
        { class: "table templates-table" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Name", "Language", "Category", "Status", "Body", "Parameters", "Buttons", "Updated"].map((t) =>
              h("th", { text: t }),
            ),
          ),
        ),
        body,
      ),
    ),
  );

  async function refresh() {
    const data = await get("/console/api/templates");
    const templates = Array.isArray(data.templates) ? data.templates : [];
    body.replaceChildren(
      ...(templates.length
        ? templates.map((t) => {
            const status = String(t.status ?? "unknown");
            return h(
              "tr",
              { testid: "template-row", dataset: { name: String(t.name) } },
              h("td", { class: "mono", text: t.name ?? "" }),
              h("td", { text: t.language ?? "" }),
              h("td", { text: t.category ?? "" }),
              h(
                "td",
                null,
                h("span", {
                  class: `badge badge-${STATUS_KIND[status.toUpperCase()] ?? "muted"}`,
                  text: status,
                  title: t.reason ?? "",
                }),
                t.reason ? h("div", { class: "muted small", text: t.reason }) : null,
              ),
              h("td", { class: "template-body", text: t.body ?? "" }),
              h(
                "td",
                null,
                (Array.isArray(t.parameters) ? t.parameters : []).map((p, i) =>
                  h("div", { class: "mono small", text: `{{${i + 1}}} ${p}` }),
                ),
              ),
              h(
                "td",
                null,
                (Array.isArray(t.buttons) ? t.buttons : []).map((b) =>
                  h("span", {
                    class: "reply-button is-static small",
                    text: typeof b === "string" ? b : (b?.title ?? ""),
                  }),
                ),
              ),
              h("td", { class: "nowrap muted", text: fmtDateTime(t.updatedAt) }),
            );
          })
        : [h("tr", null, h("td", { class: "muted", colSpan: 8, text: "No templates." }))]),
    );
  }

  return { el, refresh, title: "Templates" };
}
