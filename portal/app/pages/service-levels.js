// Service levels in the portal: the clocks on a case page, the next target in the work
// lists, and the support side's monthly report of targets met and missed.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, time, table, saveFile, showProblem } from "../ui.js";
import { heading } from "../main.js";

/** "3 h 20 min", "2 d 4 h": a span of minutes, roughly, for people. */
function span(minutes) {
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return t("sla.minutes", { n: m });
  if (m < 48 * 60) {
    const rest = m % 60;
    return rest ? t("sla.hoursMinutes", { h: Math.floor(m / 60), m: rest }) : t("sla.hours", { n: m / 60 });
  }
  return t("sla.days", { d: Math.floor(m / 1440), h: Math.floor((m % 1440) / 60) });
}

/** Time left until `due` ("in 2 h") or past it ("overdue by 1 h"). */
function left(due, now = Date.now()) {
  const minutes = (Date.parse(due) - now) / 60000;
  return minutes >= 0 ? t("sla.left", { span: span(minutes) }) : t("sla.overdue", { span: span(-minutes) });
}

function target(clock) {
  const key = clock.target.clock === "business" ? "sla.target.business" : "sla.target.calendar";
  return t(key, { span: span(clock.target.minutes) });
}

/** One clock as a sentence or two: its target, and where it stands. */
function clockText(clock, paused) {
  const parts = [target(clock), " "];
  if (clock.met_at && clock.breached_at) {
    parts.push(t("sla.metLate"), " ", time(clock.met_at), " (", t("sla.dueWas"), " ", time(clock.breached_at), ")");
  } else if (clock.met_at) {
    parts.push(t("sla.met"), " ", time(clock.met_at));
  } else if (clock.stopped_at) {
    parts.push(t("sla.stopped"));
  } else if (clock.breached_at) {
    parts.push(h("strong", { class: "overdue" }, t("sla.missed")), " ", time(clock.breached_at));
  } else if (paused || !clock.due_at) {
    parts.push(t("sla.paused"));
  } else {
    parts.push(t("sla.due"), " ", time(clock.due_at), " — ", left(clock.due_at));
  }
  return parts;
}

/** The case page's service-level card (nothing for a case filed before they existed). */
export function serviceLevelCard(ticket) {
  const sla = ticket.sla;
  if (!sla) return null;
  const paused = (sla.pauses || []).some((p) => !p.to);
  const stoodStill = sla.paused_seconds > 0 ? h("p", { class: "hint" }, t("sla.stoodStill", { span: span(sla.paused_seconds / 60) })) : null;
  return h(
    "section",
    { class: "sla card", "aria-labelledby": "sla-h" },
    h("h2", { id: "sla-h" }, t("sla.title")),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("sla.firstResponse")),
      h("dd", { id: "sla-first-response" }, clockText(sla.first_response, false)),
      h("dt", {}, t("sla.resolution")),
      h("dd", { id: "sla-resolution" }, clockText(sla.resolution, paused)),
    ),
    stoodStill,
  );
}

/** A work list's cell: the next target still running, with the time left or overdue. */
export function dueCell(item) {
  const due = item.service?.next_due_at;
  if (!due) return "—";
  const overdue = Date.parse(due) < Date.now();
  return h("span", { class: overdue ? "overdue" : null }, time(due), h("br"), left(due));
}

const REPORT_COLUMNS = [
  "tickets",
  "first_response_met",
  "first_response_missed",
  "first_response_open",
  "resolution_met",
  "resolution_missed",
  "resolution_open",
];

/** `/portal/reports`: the support side's monthly report, on screen and as CSV. */
export async function report(main) {
  heading(t("report.title"));
  const month = new Date().toISOString().slice(0, 7);
  const form = h(
    "form",
    { class: "inline", novalidate: true },
    field({ name: "month", label: t("report.month"), kind: "month", value: month, required: true }),
    field({ name: "company", label: t("queue.company") }),
    h("button", { type: "submit" }, t("queue.show")),
  );
  const holder = h("div", { id: "report" });
  let shown = { month };
  const show = async (params) => {
    const answer = await api.get(`/v1/reports/service-levels${api.query(params)}`);
    shown = params;
    holder.replaceChildren(
      ...[
        h("p", {}, t("report.about", { month: answer.month, company: answer.company || t("report.allCompanies") })),
        table(
          [t("case.priority"), ...REPORT_COLUMNS.map((c) => t(`report.${c}`))],
          answer.rows.map((row) => [t(`priority.${row.priority}`), ...REPORT_COLUMNS.map((c) => String(row[c]))]),
        ),
        answer.unmeasured ? h("p", { class: "hint" }, t("report.unmeasured", { n: answer.unmeasured })) : null,
        h(
          "p",
          { class: "actions" },
          h(
            "button",
            {
              type: "button",
              class: "secondary",
              onclick: async (event) => {
                try {
                  await saveFile(`/v1/reports/service-levels.csv${api.query(shown)}`, `service-levels-${answer.month}.csv`);
                } catch (problem) {
                  showProblem(event.target.closest("p"), problem);
                }
              },
            },
            t("report.csv"),
          ),
        ),
      ].filter(Boolean),
    );
  };
  onSubmit(form, (data) => {
    const company = data.get("company").trim().toUpperCase();
    return show({ month: data.get("month"), company: company || undefined });
  });
  main.append(form, holder);
  await show(shown);
}
