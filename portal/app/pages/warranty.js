// Warranty (seed 004): look a serial number up, and register the warranty of a unit the
// dealer sold (end customer and delivery date).
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, announce, time } from "../ui.js";
import { heading } from "../main.js";

function lookupResult(found, me) {
  const registration = found.details?.registration;
  const rows = [
    ["warranty.serial", found.serial],
    ["warranty.product", `${found.product_name} (${found.sku})`],
    ["warranty.registered", found.registered ? time(registration?.registered_at || found.warranty_start, false) : t("warranty.notRegistered")],
    found.warranty_start ? ["warranty.starts", time(found.warranty_start, false)] : null,
    found.warranty_end ? ["warranty.ends", time(found.warranty_end, false)] : null,
    found.details?.dealer_company ? ["warranty.dealer", found.details.dealer_company] : null,
    registration ? ["warranty.customer", registration.end_customer?.name] : null,
    ["warranty.claims", String(found.claims_count)],
  ].filter(Boolean);
  const claims = found.details?.claims || [];
  const warrantyClaims = found.details?.warranty_claims || [];
  if (found.warranty_claims_count) rows.push(["warranty.warrantyClaims", String(found.warranty_claims_count)]);
  return h(
    "section",
    { class: "card", "aria-labelledby": "serial-h" },
    h("h2", { id: "serial-h", tabindex: "-1" }, found.serial),
    h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v)])),
    claims.length
      ? h("ul", {}, claims.map((c) => h("li", {}, h("a", { href: `/portal/cases/${encodeURIComponent(c.ticket_id)}` }, `${c.number} · ${c.subject}`), " · ", time(c.opened_at, false))))
      : null,
    warrantyClaims.length
      ? h("ul", {}, warrantyClaims.map((c) => h("li", {}, h("a", { href: `/portal/claims/${encodeURIComponent(c.id)}` }, `${t("warranty.warrantyClaim")} · ${t(`claim.state.${c.state}`)}`), " · ", time(c.created_at, false))))
      : null,
    found.details && me?.standing !== "agent" ? h("p", {}, h("a", { href: `/portal/claims/new?serial=${encodeURIComponent(found.serial)}` }, t("claims.fileOn"))) : null,
  );
}

/** The company's units waiting for their warranty registration (seed 004), each with a
 * button that starts its registration below. */
function pendingUnits(register) {
  const section = h("section", { "aria-labelledby": "units-h" }, h("h2", { id: "units-h" }, t("warranty.pending")));
  const list = h("div");
  section.append(list);
  const load = async () => {
    const page = await api.get("/v1/pending-registrations?limit=100");
    if (!page.items.length) return list.replaceChildren(h("p", { class: "empty" }, t("warranty.nonePending")));
    list.replaceChildren(
      h(
        "ul",
        { class: "units" },
        page.items.map((unit) =>
          h(
            "li",
            {},
            `${unit.serial} · ${unit.sku} · `,
            time(unit.created_at, false),
            " ",
            h(
              "button",
              {
                type: "button",
                class: "secondary",
                onclick: () => {
                  const serial = register.querySelector('[name="serial"]');
                  serial.value = unit.serial;
                  register.querySelector('[name="end_customer.name"]').focus();
                },
              },
              t("warranty.registerThis"),
              h("span", { class: "visually-hidden" }, ` ${unit.serial}`),
            ),
          ),
        ),
      ),
    );
  };
  return { section, load };
}

export async function page(main, _params, me) {
  heading(t("warranty.title"));
  const result = h("div");
  const lookup = h(
    "form",
    { class: "inline", role: "search", novalidate: true },
    field({ name: "serial", label: t("warranty.serial"), required: true }),
    h("button", { type: "submit" }, t("warranty.find")),
  );
  onSubmit(lookup, async (data) => {
    const found = await api.get(`/v1/serials/${encodeURIComponent(data.get("serial").trim())}`);
    result.replaceChildren(lookupResult(found, me));
    result.querySelector("h2").focus();
  });
  const register = h(
    "form",
    { class: "card", novalidate: true },
    h("h2", {}, t("warranty.register")),
    field({ name: "serial", label: t("warranty.serial"), required: true }),
    field({ name: "end_customer.name", label: t("warranty.customer"), required: true }),
    field({ name: "end_customer.email", label: t("people.email"), kind: "email" }),
    field({ name: "delivery_date", label: t("warranty.delivered"), kind: "date", required: true }),
    h("button", { type: "submit" }, t("warranty.register")),
  );
  onSubmit(register, async (data) => {
    const customer = { name: data.get("end_customer.name").trim() };
    if (data.get("end_customer.email").trim()) customer.email = data.get("end_customer.email").trim();
    const serial = data.get("serial").trim();
    await api.post("/v1/warranties", { serial, end_customer: customer, delivery_date: data.get("delivery_date") });
    announce(t("warranty.done", { serial }));
    register.reset();
    register.querySelector(".notice")?.remove();
    register.prepend(h("p", { class: "notice", role: "status" }, t("warranty.done", { serial })));
    await units?.load();
  });
  // Staff see every dealer's units through the lookup; a dealer's people see their own list.
  const units = me.standing === "agent" ? null : pendingUnits(register);
  main.append(...[units?.section, h("h2", {}, t("warranty.lookup")), lookup, result, register].filter(Boolean));
  await units?.load();
}
