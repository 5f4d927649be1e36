// The new-case form as seed 002 walks it: product area → type → the type's own fields
// (required ones marked) → description → files → submit → the case number.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, announce, showProblem } from "../ui.js";
import { heading } from "../main.js";
import { pickFiles, uploadFiles } from "./files.js";
import { suggestionsFor } from "./help.js";

const INPUT_OF_KIND = { date: "date", money: "text", number: "text", email: "email" };

function typeFields(type) {
  const wanted = type?.required_fields || [];
  if (!wanted.length) return [];
  return h(
    "fieldset",
    { class: "type-fields" },
    h("legend", {}, t("new.typeFields")),
    wanted.map((f) =>
      field({
        name: `fields.${f.name}`,
        label: f.label,
        kind: INPUT_OF_KIND[f.kind] || "text",
        required: true,
        attrs: f.kind === "money" ? { inputmode: "decimal" } : {},
      }),
    ),
  );
}

export async function page(main, _params, me) {
  heading(t("new.title"));
  const { items: types } = await api.get("/v1/ticket-types");
  const agent = me.standing === "agent";
  const form = h("form", { class: "card", novalidate: true });
  const deskChoice = agent
    ? field({ name: "company", label: t("new.company"), required: true, hint: t("request.companyHint") })
    : me.standing === "client_admin"
      ? field({ name: "desk", label: t("new.desk"), kind: "select", options: [["vendor", t("new.desk.vendor")], ["internal", t("new.desk.internal")]], value: "vendor" })
      : h("p", { class: "hint" }, `${t("new.desk")}: ${t("new.desk.internal")}`);
  const typeSelect = field({
    name: "ticket_type",
    label: t("new.type"),
    kind: "select",
    required: true,
    options: [["", t("new.typeChoose")], ...types.map((ty) => [ty.id, ty.name])],
  });
  const perType = h("div", { class: "per-type", "aria-live": "polite" });
  const files = pickFiles(0);
  const submit = h("button", { type: "submit" }, t("new.submit"));
  form.append(
    deskChoice,
    field({ name: "module", label: t("new.module") }),
    typeSelect,
    perType,
    field({ name: "subject", label: t("new.subject"), required: true, attrs: { maxlength: 200 } }),
    field({ name: "description", label: t("new.description"), kind: "textarea", required: true }),
    suggestionsFor(form),
    field({
      name: "priority",
      label: t("new.priority"),
      kind: "select",
      value: "medium",
      options: ["low", "medium", "high", "urgent"].map((p) => [p, t(`priority.${p}`)]),
    }),
    field({ name: "claim_numbers", label: t("new.claims"), hint: t("new.claimsHint") }),
    field({ name: "serial_number", label: t("new.serial") }),
    field({ name: "contact.phone", label: t("new.contactPhone"), kind: "tel", attrs: { autocomplete: "tel" } }),
    files.element,
    submit,
  );
  const select = typeSelect.querySelector("select");
  select.addEventListener("change", () => {
    const type = types.find((ty) => ty.id === select.value);
    const refusal = type?.account_management ? h("p", { class: "form-problem", role: "alert" }, t("new.accountManagement")) : null;
    perType.replaceChildren(...[refusal, typeFields(type)].flat().filter(Boolean));
    submit.disabled = Boolean(type?.account_management);
  });

  onSubmit(form, async (data) => {
    const chosen = files.chosen();
    const draft = { ticket_type: data.get("ticket_type"), subject: data.get("subject"), description: data.get("description"), priority: data.get("priority") };
    for (const name of ["module", "claim_numbers", "serial_number"]) {
      const value = (data.get(name) || "").trim();
      if (value) draft[name] = value;
    }
    if (agent) {
      draft.company = (data.get("company") || "").trim();
      draft.desk = "vendor";
    } else draft.desk = data.get("desk") || "internal";
    const phone = (data.get("contact.phone") || "").trim();
    if (phone) draft.contact = { phone };
    const fields = {};
    for (const [name, value] of data.entries()) if (name.startsWith("fields.")) fields[name.slice(7)] = String(value).trim();
    if (Object.keys(fields).length) draft.fields = fields;
    submit.textContent = t("new.submitting");
    try {
      const ticket = await api.post("/v1/tickets", draft, { headers: { "Idempotency-Key": api.idempotencyKey() } });
      const confirmation = h(
        "div",
        { class: "notice", role: "status", tabindex: "-1" },
        h("p", {}, t("new.done", { number: ticket.number })),
        h("p", {}, h("a", { href: `/portal/cases/${encodeURIComponent(ticket.id)}`, class: "button" }, t("new.open", { number: ticket.number }))),
      );
      form.replaceWith(confirmation);
      try {
        await uploadFiles(ticket.id, chosen);
      } catch (problem) {
        showProblem(confirmation, problem);
      }
      announce(t("new.done", { number: ticket.number }));
      confirmation.focus();
    } finally {
      submit.textContent = t("new.submit");
    }
  });
  main.append(form);
}
