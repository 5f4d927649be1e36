// Warranty claims and RMAs (seed 004): a dealer's lists (Active, Draft, Closed, All) and
// the support side's queues, exports as CSV or Excel, a new claim with its lines, one claim
// with its warranty check, lines, totals, RMAs and history and what each side may do next;
// RMAs: the list, one RMA with its parts, shipment and history, and its next step.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, announce, time, table, money, minorUnits, currencyDecimals, showProblem, saveFile } from "../ui.js";
import { heading, go } from "../main.js";
import { pickFiles, uploadFiles } from "./files.js";

const enc = encodeURIComponent;

function badge(state) {
  return h("span", { class: `badge claim-${state}` }, t(`claim.state.${state}`));
}

/** The buttons that save a list, with its filter, as CSV and as Excel. */
function exportButtons(what, list) {
  return h(
    "p",
    { class: "actions" },
    ["csv", "xlsx"].map((format) =>
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: async (event) => {
            try {
              await saveFile(`/v1/exports/${what}${api.query({ format, list })}`, `${what}.${format}`);
              announce(t("claims.exported"));
            } catch (problem) {
              showProblem(event.target.closest("p"), problem);
            }
          },
        },
        t(`claims.export.${format}`),
      ),
    ),
  );
}

/** `/portal/claims`: the lists, or the queues, with exports. */
export async function list(main, _params, me) {
  heading(t("claims.title"));
  const agent = me.standing === "agent";
  const lists = agent ? ["submitted", "mine", "information_requested"] : ["active", "draft", "closed", "all"];
  const chosen = new URLSearchParams(location.search).get("list") || lists[0];
  if (!agent) main.append(h("p", {}, h("a", { href: "/portal/claims/new", class: "button" }, t("claims.new"))));
  main.append(
    h(
      "nav",
      { class: "tabs", "aria-label": t("claims.lists") },
      h("ul", {}, lists.map((l) => h("li", {}, h("a", { href: `/portal/claims?list=${l}`, "aria-current": l === chosen ? "page" : null }, t(`claims.list.${l}`))))),
    ),
  );
  const exports = exportButtons("warranty-claims", chosen);
  const holder = h("div");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("home.more"));
  main.append(exports, holder, more);
  const rows = [];
  let cursor = null;
  const load = async () => {
    const page = await api.get(`/v1/warranty-claims${api.query({ list: chosen, cursor, limit: 25 })}`);
    for (const c of page.items) {
      rows.push([
        h("a", { href: `/portal/claims/${enc(c.id)}` }, c.serial),
        agent ? c.dealer_company : null,
        badge(c.state),
        money(c.claimed, c.currency),
        money(c.approved, c.currency),
        time(c.updated_at),
      ].filter((cell) => cell !== null));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const headers = [t("warranty.serial"), agent ? t("warranty.dealer") : null, t("claim.state"), t("claim.claimed"), t("claim.approved"), t("list.updated")].filter(Boolean);
    holder.replaceChildren(rows.length ? table(headers, rows) : h("p", { class: "empty" }, t("home.empty")));
  };
  more.addEventListener("click", () => load().catch((p) => showProblem(main, p)));
  await load();
}

let boxes = 0;

function checkbox(name, label) {
  const id = `box${++boxes}`;
  return h("div", { class: "field check", dataset: { field: name } }, h("input", { type: "checkbox", id, name }), h("label", { for: id }, label));
}

/** One line of a new claim: its kind's fields, named as the API names them. */
function lineFields(kind, n, remove) {
  const name = (f) => `lines[${n}].${f}`;
  const fields = {
    part: [
      field({ name: name("part_number"), label: t("claim.partNumber"), required: true }),
      field({ name: name("description"), label: t("claim.description") }),
      field({ name: name("quantity"), label: t("claim.quantity"), kind: "number", required: true, value: "1", attrs: { min: 1, step: 1 } }),
      field({ name: name("unit_price"), label: t("claim.unitPrice"), required: true, attrs: { inputmode: "decimal" } }),
      checkbox(name("causal"), t("claim.causal")),
      checkbox(name("return_required"), t("claim.returnRequired")),
    ],
    labour: [
      field({ name: name("labour_code"), label: t("claim.labourCode"), required: true }),
      field({ name: name("description"), label: t("claim.description") }),
      field({ name: name("hours"), label: t("claim.hours"), required: true, attrs: { inputmode: "decimal" } }),
      field({ name: name("rate"), label: t("claim.rate"), required: true, attrs: { inputmode: "decimal" } }),
    ],
    other: [
      field({ name: name("category"), label: t("claim.category"), kind: "select", options: ["freight", "travel", "sublet"].map((c) => [c, t(`claim.other.${c}`)]) }),
      field({ name: name("description"), label: t("claim.description") }),
      field({ name: name("amount"), label: t("claim.amount"), required: true, attrs: { inputmode: "decimal" } }),
    ],
  };
  return h(
    "fieldset",
    { class: "line", dataset: { kind, n } },
    h("legend", {}, t(`claim.line.${kind}`)),
    fields[kind],
    h("button", { type: "button", class: "link", onclick: remove }, t("claim.removeLine")),
  );
}

/** The claim draft the form holds, in the API's shape (amounts in minor units). */
function draftOf(form, data) {
  const currency = data.get("currency").trim().toUpperCase();
  const lines = [...form.querySelectorAll("fieldset.line")].map((set) => {
    const n = set.dataset.n;
    const get = (f) => (data.get(`lines[${n}].${f}`) ?? "").toString().trim();
    const amount = (f) => minorUnits(get(f), currencyDecimals(currency), `lines[${n}].${f}`);
    switch (set.dataset.kind) {
      case "part":
        return {
          kind: "part",
          part_number: get("part_number"),
          description: get("description"),
          quantity: Number(get("quantity")),
          unit_price: amount("unit_price"),
          causal: data.get(`lines[${n}].causal`) === "on",
          return_required: data.get(`lines[${n}].return_required`) === "on",
        };
      case "labour":
        // Hours in hundredths: "1.5" is 150, never a float.
        return { kind: "labour", labour_code: get("labour_code"), description: get("description"), hundredths: minorUnits(get("hours"), 2, `lines[${n}].hours`), rate: amount("rate") };
      default:
        return { kind: "other", category: get("category"), description: get("description"), amount: amount("amount") };
    }
  });
  return {
    serial: data.get("serial").trim(),
    failure_date: data.get("failure_date"),
    usage: Number(data.get("usage") || 0),
    usage_unit: data.get("usage_unit"),
    currency,
    complaint: data.get("complaint").trim(),
    cause: data.get("cause").trim(),
    correction: data.get("correction").trim(),
    fault_code: data.get("fault_code").trim(),
    lines,
  };
}

/** `/portal/claims/new`: a dealer drafts a claim on one of its units. */
export async function create(main) {
  heading(t("claims.new"));
  const serial = new URLSearchParams(location.search).get("serial") || "";
  const lines = h("div", { class: "lines" });
  let count = 0;
  const add = (kind) => {
    const n = count++;
    const set = lineFields(kind, n, () => set.remove());
    lines.append(set);
    set.querySelector("input")?.focus();
  };
  const form = h(
    "form",
    { class: "card", novalidate: true },
    field({ name: "serial", label: t("warranty.serial"), required: true, value: serial }),
    field({ name: "failure_date", label: t("claim.failureDate"), kind: "date", required: true }),
    field({ name: "usage", label: t("claim.usage"), kind: "number", attrs: { min: 0, step: 1 } }),
    field({ name: "usage_unit", label: t("claim.usageUnit"), kind: "select", options: [["hours", t("claim.hoursUnit")], ["miles", t("claim.miles")]] }),
    field({ name: "currency", label: t("claim.currency"), required: true, value: "USD", attrs: { maxlength: 3, autocapitalize: "characters" } }),
    field({ name: "complaint", label: t("claim.complaint"), kind: "textarea", required: true }),
    field({ name: "cause", label: t("claim.cause"), kind: "textarea", required: true }),
    field({ name: "correction", label: t("claim.correction"), kind: "textarea", required: true }),
    field({ name: "fault_code", label: t("claim.faultCode") }),
    h("h2", {}, t("claim.lines")),
    h("div", { class: "field", dataset: { field: "lines" } }, lines, h("p", { class: "error", hidden: true })),
    h(
      "p",
      { class: "actions" },
      ["part", "labour", "other"].map((kind) => h("button", { type: "button", class: "secondary", onclick: () => add(kind) }, t(`claim.add.${kind}`))),
    ),
    h("button", { type: "submit" }, t("claim.saveDraft")),
  );
  add("part");
  onSubmit(form, async (data) => {
    const claim = await api.post("/v1/warranty-claims", draftOf(form, data), { headers: { "Idempotency-Key": api.idempotencyKey() } });
    announce(t("claim.drafted"));
    go(`/portal/claims/${enc(claim.id)}`);
  });
  main.append(form);
}

/** The dealer asks the support side about the claim, with files (invoices, photos): a case
 * of the claim's conversation, on the vendor's desk. */
function askForm(claim) {
  const files = pickFiles(0, t("claim.askFiles"));
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "ask-h" },
    h("h2", { id: "ask-h" }, t("claim.ask")),
    field({ name: "description", label: t("claim.askMessage"), kind: "textarea", required: true }),
    files.element,
    h("button", { type: "submit" }, t("claim.askSend")),
  );
  onSubmit(form, async (data) => {
    const chosen = files.chosen();
    const ticket = await api.post(
      "/v1/tickets",
      {
        ticket_type: "warranty_claim",
        subject: t("claim.askSubject", { serial: claim.unit.serial }),
        description: data.get("description").trim(),
        warranty_claim: claim.id,
        serial_number: claim.unit.serial,
      },
      { headers: { "Idempotency-Key": api.idempotencyKey() } },
    );
    await uploadFiles(ticket.id, chosen);
    announce(t("new.done", { number: ticket.number }));
    go(`/portal/cases/${enc(ticket.id)}`);
  });
  return form;
}

function lineText(line) {
  switch (line.kind) {
    case "part":
      return `${line.quantity} × ${line.part_number} ${line.description}`.trim();
    case "labour":
      return `${line.labour_code} ${line.description} (${(line.hundredths / 100).toFixed(2)} h)`.trim();
    default:
      return `${t(`claim.other.${line.category}`)} ${line.description}`.trim();
  }
}

/** An action's form: a button (and its fields), posting to the claim's actions. */
function actionForm(path, action, label, fields = [], body = () => ({}), after) {
  const form = h("form", { class: "inline action", novalidate: true }, fields, h("button", { type: "submit" }, label));
  onSubmit(form, async (data) => {
    const result = await api.post(path, { action, ...body(data) }, { headers: { "Idempotency-Key": api.idempotencyKey() } });
    announce(t("claim.done"));
    await after(result);
  });
  return form;
}

/** `/portal/claims/{id}`. */
export async function claimPage(main, [id], me) {
  const claim = await api.get(`/v1/warranty-claims/${enc(id)}`);
  const agent = me.standing === "agent";
  heading(t("claim.heading", { serial: claim.unit.serial }));
  const money$ = (minor) => money(minor, claim.currency);
  const totals = claim.lines.reduce(
    (s, l) => ({ claimed: s.claimed + l.claimed, approved: s.approved + (l.decision?.approved ?? 0) }),
    { claimed: 0, approved: 0 },
  );
  main.append(
    h(
      "dl",
      { class: "facts" },
      [
        [t("claim.state"), badge(claim.state)],
        [t("warranty.dealer"), claim.dealer_company],
        [t("claim.failureDate"), time(claim.failure_date, false)],
        [t("claim.usage"), `${claim.usage} ${t(claim.usage_unit === "hours" ? "claim.hoursUnit" : "claim.miles")}`],
        [t("claim.complaint"), claim.complaint],
        claim.cause ? [t("claim.cause"), claim.cause] : null,
        claim.correction ? [t("claim.correction"), claim.correction] : null,
        claim.fault_code ? [t("claim.faultCode"), claim.fault_code] : null,
        [t("claim.claimed"), money$(totals.claimed)],
        [t("claim.approved"), money$(totals.approved)],
      ]
        .filter(Boolean)
        .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
  );
  if (claim.check) {
    const c = claim.check;
    main.append(
      h(
        "section",
        { class: "card", "aria-labelledby": "check-h" },
        h("h2", { id: "check-h" }, t("claim.check")),
        h(
          "ul",
          {},
          h("li", {}, t(c.registered_to_dealer ? "claim.check.registered" : "claim.check.notRegistered")),
          h("li", {}, t(c.filed_in_time ? "claim.check.inTime" : "claim.check.late")),
          (c.buckets || []).map((b) =>
            h("li", {}, t(b.covered ? "claim.check.covered" : "claim.check.notCovered", { bucket: t(`claim.bucket.${b.bucket}`), ends: b.ends || "—" })),
          ),
        ),
      ),
    );
  }
  const lineRows = claim.lines.map((l) => [
    l.id,
    lineText(l),
    money$(l.claimed),
    l.decision ? money$(l.decision.approved) : "—",
    l.decision?.reason || "",
  ]);
  main.append(h("h2", {}, t("claim.lines")), table([t("claim.line"), t("claim.description"), t("claim.claimed"), t("claim.approved"), t("claim.reason")], lineRows));
  // The claim's conversation: its cases (both sides write and mail there, with files).
  if (claim.cases?.length) {
    main.append(h("h2", {}, t("claim.conversation")), h("ul", {}, claim.cases.map((c) => h("li", {}, h("a", { href: `/portal/cases/${enc(c.id)}` }, c.number)))));
  }
  if (!agent && claim.state !== "closed") main.append(askForm(claim));
  if (claim.rmas?.length) {
    main.append(h("h2", {}, t("rma.title")), h("ul", {}, claim.rmas.map((r) => h("li", {}, h("a", { href: `/portal/rmas/${enc(r.id)}` }, r.number)))));
  }
  // What this side may do now.
  const path = `/v1/warranty-claims/${enc(id)}/actions`;
  const reload = () => go(location.pathname, { replace: true });
  const actions = h("section", { class: "card", "aria-labelledby": "next-h" }, h("h2", { id: "next-h" }, t("claim.next")));
  const s = claim.state;
  if (!agent && (s === "draft" || s === "information_requested")) actions.append(actionForm(path, "submit", t("claim.submit"), [], undefined, reload));
  if (!agent && s === "draft") actions.append(actionForm(path, "close", t("claim.withdraw"), [], undefined, reload));
  if (agent && s === "submitted") actions.append(actionForm(path, "take", t("claim.take"), [], undefined, reload));
  if (agent && s === "in_review") {
    const reasons = (await api.get("/v1/adjustment-reasons")).items;
    actions.append(
      actionForm(path, "request_information", t("claim.askInfo"), [field({ name: "why", label: t("claim.question"), kind: "textarea", required: true })], (d) => ({ why: d.get("why") }), reload),
      actionForm(path, "decide", t("claim.decideAsChecked"), [], undefined, reload),
    );
    const decisions = claim.lines.map((l, n) =>
      h(
        "fieldset",
        {},
        h("legend", {}, `${l.id}: ${lineText(l)} (${money$(l.claimed)})`),
        field({ name: `decisions[${n}].approved`, label: t("claim.approvedAmount"), value: (l.claimed / 10 ** currencyDecimals(claim.currency)).toFixed(currencyDecimals(claim.currency)), attrs: { inputmode: "decimal" } }),
        field({ name: `decisions[${n}].reason`, label: t("claim.reasonCode"), hint: t("claim.reasonHint"), kind: "select", options: [["", "—"], ...reasons.map((r) => [r.code, r.name])] }),
      ),
    );
    actions.append(
      actionForm(path, "decide", t("claim.decide"), decisions, (d) => ({
        decisions: claim.lines.map((l, n) => ({
          line: l.id,
          approved: minorUnits(d.get(`decisions[${n}].approved`).trim(), currencyDecimals(claim.currency), `decisions[${n}].approved`),
          reason: d.get(`decisions[${n}].reason`).trim() || null,
        })),
      }), reload),
    );
  }
  if (agent && (s === "approved" || s === "partially_approved")) actions.append(actionForm(path, "pay", t("claim.pay"), [], undefined, reload));
  if (agent && (s === "paid" || s === "rejected")) actions.append(actionForm(path, "close", t("claim.close"), [], undefined, reload));
  if (agent && ["in_review", "approved", "partially_approved", "rejected", "paid"].includes(s)) {
    const parts = claim.lines.filter((l) => l.kind === "part");
    const picks = parts.map((l) =>
      field({ name: `rma.${l.id}`, label: t("rma.quantityOf", { part: lineText(l) }), kind: "number", value: l.return_required || l.causal ? String(l.quantity) : "0", attrs: { min: 0, max: l.quantity, step: 1 } }),
    );
    const form = h(
      "form",
      { class: "action", novalidate: true },
      h("h3", {}, t("rma.issue")),
      picks,
      h("div", { class: "field", dataset: { field: "lines" } }, h("p", { class: "error", hidden: true })),
      field({ name: "instructions", label: t("rma.instructions"), kind: "textarea" }),
      h("button", { type: "submit" }, t("rma.issue")),
    );
    onSubmit(form, async (data) => {
      const lines = parts.map((l) => ({ line: l.id, quantity: Number(data.get(`rma.${l.id}`) || 0) })).filter((l) => l.quantity > 0);
      const rma = await api.post(`/v1/warranty-claims/${enc(id)}/rmas`, { lines, instructions: data.get("instructions") }, { headers: { "Idempotency-Key": api.idempotencyKey() } });
      announce(t("rma.issued", { number: rma.number }));
      go(`/portal/rmas/${enc(rma.id)}`);
    });
    if (parts.length) actions.append(form);
  }
  if (actions.children.length > 1) main.append(actions);
  main.append(history(claim.history, (s) => t(`claim.state.${s}`)));
}

function history(entries, label) {
  return h(
    "section",
    { "aria-labelledby": "history-h" },
    h("h2", { id: "history-h" }, t("claim.history")),
    h("ol", { class: "history" }, entries.map((e) => h("li", {}, time(e.at), " · ", e.by, " · ", e.from ? `${label(e.from)} → ` : "", label(e.to), e.why ? ` · ${e.why}` : ""))),
  );
}

/** `/portal/rmas`: every RMA issued to the dealer; the support side's queues. */
export async function rmaList(main, _params, me) {
  heading(t("rma.title"));
  const agent = me.standing === "agent";
  const chosen = agent ? new URLSearchParams(location.search).get("list") || "shipped" : null;
  if (agent) {
    main.append(
      h(
        "nav",
        { class: "tabs", "aria-label": t("claims.lists") },
        h("ul", {}, ["issued", "shipped", "received"].map((l) => h("li", {}, h("a", { href: `/portal/rmas?list=${l}`, "aria-current": l === chosen ? "page" : null }, t(`rma.state.${l}`))))),
      ),
    );
  }
  main.append(exportButtons("rmas", chosen));
  const page = await api.get(`/v1/rmas${api.query({ list: chosen, limit: 100 })}`);
  const rows = page.items.map((r) => [
    h("a", { href: `/portal/rmas/${enc(r.id)}` }, r.number),
    r.serial,
    h("span", { class: `badge rma-${r.state}` }, t(`rma.state.${r.state}`)),
    r.tracking_number || "—",
    time(r.updated_at),
  ]);
  main.append(rows.length ? table([t("rma.number"), t("warranty.serial"), t("claim.state"), t("rma.tracking"), t("list.updated")], rows) : h("p", { class: "empty" }, t("home.empty")));
}

/** `/portal/rmas/{id}`. */
export async function rmaPage(main, [id], me) {
  const rma = await api.get(`/v1/rmas/${enc(id)}`);
  const agent = me.standing === "agent";
  heading(t("rma.heading", { number: rma.number }));
  main.append(
    h(
      "dl",
      { class: "facts" },
      [
        [t("claim.state"), h("span", { class: `badge rma-${rma.state}` }, t(`rma.state.${rma.state}`))],
        [t("warranty.serial"), rma.serial],
        [t("rma.claim"), h("a", { href: `/portal/claims/${enc(rma.claim_id)}` }, t("rma.openClaim"))],
        rma.instructions ? [t("rma.instructions"), rma.instructions] : null,
        rma.shipment ? [t("rma.carrier"), rma.shipment.carrier] : null,
        rma.shipment ? [t("rma.tracking"), rma.shipment.tracking_number] : null,
      ]
        .filter(Boolean)
        .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
    table(
      [t("claim.partNumber"), t("claim.description"), t("claim.quantity"), t("rma.received"), t("rma.condition")],
      rma.lines.map((l) => [l.part_number, l.description, String(l.quantity), l.received ?? "—", l.condition ? t(`rma.condition.${l.condition}`) : "—"]),
    ),
  );
  const path = `/v1/rmas/${enc(id)}/actions`;
  const reload = () => go(location.pathname, { replace: true });
  const actions = h("section", { class: "card", "aria-labelledby": "next-h" }, h("h2", { id: "next-h" }, t("claim.next")));
  const s = rma.state;
  if (!agent && s === "issued") {
    actions.append(
      actionForm(path, "ship", t("rma.ship"), [field({ name: "carrier", label: t("rma.carrier"), required: true }), field({ name: "tracking_number", label: t("rma.tracking"), required: true })], (d) => ({ carrier: d.get("carrier"), tracking_number: d.get("tracking_number") }), reload),
    );
  }
  if (agent && (s === "issued" || s === "shipped")) {
    const counts = rma.lines.map((l, n) =>
      h(
        "fieldset",
        {},
        h("legend", {}, `${l.quantity} × ${l.part_number} ${l.description}`),
        field({ name: `lines[${n}].received`, label: t("rma.received"), kind: "number", value: String(l.quantity), attrs: { min: 0, max: l.quantity, step: 1 } }),
        field({ name: `lines[${n}].condition`, label: t("rma.condition"), kind: "select", options: ["as_described", "no_fault", "damaged", "wrong_part"].map((c) => [c, t(`rma.condition.${c}`)]) }),
      ),
    );
    actions.append(
      actionForm(path, "receive", t("rma.receive"), counts, (d) => ({
        lines: rma.lines.map((l, n) => ({ line: l.line, received: Number(d.get(`lines[${n}].received`)), condition: d.get(`lines[${n}].condition`) })),
      }), reload),
    );
  }
  if (agent && s === "received") {
    actions.append(actionForm(path, "credit", t("rma.credit"), [], undefined, reload), actionForm(path, "replace", t("rma.replace"), [], undefined, reload));
  }
  if (agent && (s === "credited" || s === "replaced")) actions.append(actionForm(path, "close", t("rma.close"), [], undefined, reload));
  if (agent && s === "issued") {
    actions.append(actionForm(path, "close", t("rma.cancel"), [field({ name: "why", label: t("rma.why"), required: true })], (d) => ({ why: d.get("why") }), reload));
  }
  if (actions.children.length > 1) main.append(actions);
  main.append(history(rma.history, (s) => t(`rma.state.${s}`)));
}
