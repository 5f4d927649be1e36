// The support side's pages: the queues (the vendor desk, a company's internal desk for its
// admins, mine) and the inbound mail held for review.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, time, table } from "../ui.js";
import { heading } from "../main.js";
import { caseList } from "./cases.js";

export async function queue(main, _params, me) {
  heading(t("queue.title"));
  const agent = me.standing === "agent";
  // Work lists come soonest service-level target first (the API sorts them).
  const columns = ["number", "subject", "company", "status", "assignee", "due"];
  const holder = h("div");
  const show = async (company) => {
    const lists = agent
      ? [
          caseList({ title: t("queue.vendor"), view: "queue", id: "q-vendor", columns }),
          ...(me.roles.includes("agent_l2") ? [caseList({ title: t("queue.level2"), view: "level", id: "q-level", columns })] : []),
          caseList({ title: t("queue.mine"), view: "mine", id: "q-mine", columns }),
          ...(company ? [caseList({ title: `${t("home.company")}: ${company}`, view: "company", company, id: "q-company", columns })] : []),
        ]
      : [caseList({ title: t("queue.internal"), view: "queue", id: "q-internal", columns })];
    holder.replaceChildren(...lists.map((l) => l.section));
    await Promise.all(lists.map((l) => l.load()));
  };
  if (agent) {
    const filter = h(
      "form",
      { class: "inline", novalidate: true },
      field({ name: "company", label: t("queue.company") }),
      h("button", { type: "submit" }, t("queue.show")),
    );
    onSubmit(filter, (data) => show(data.get("company").trim().toUpperCase()));
    main.append(filter);
  }
  main.append(holder);
  await show("");
}

export async function heldMail(main) {
  heading(t("held.title"));
  const { items } = await api.get("/v1/held-mail");
  if (!items.length) {
    main.append(h("p", { class: "empty" }, t("held.empty")));
    return;
  }
  main.append(
    table(
      [t("held.received"), t("held.from"), t("held.subject"), t("held.reason")],
      items.map((m) => [
        time(m.received_at),
        m.from,
        m.ticket_id ? h("a", { href: `/portal/cases/${encodeURIComponent(m.ticket_id)}` }, m.subject) : m.subject,
        `${m.outcome}: ${m.detail}`,
      ]),
    ),
  );
}
