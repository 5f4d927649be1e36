// Account pages: the directory (Owner, Administrator, Human Resources, staff), access
// requests, the staff's companies, and one's own profile (seed 004: the date format).
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, announce, time, showProblem, setDateFormat, table } from "../ui.js";
import { heading, render } from "../main.js";

const CLIENT_ROLES = ["adjuster", "customer_service", "client_examiner", "client_manager", "owner", "administrator", "company_examiner", "claims_supervisor", "team_lead", "file_reviewer", "accounting", "human_resources", "sales_and_marketing"];
const STAFF_ROLES = ["agent_l1", "agent_l2", "staff_admin"];

function rolesFor(company) {
  return company === "VENDOR" ? STAFF_ROLES : CLIENT_ROLES;
}

/** The roles as a group of check boxes, named `roles` for the problems that name it. */
function rolePicker(company, chosen = [], legend = t("people.roles")) {
  return h(
    "fieldset",
    { class: "field roles", dataset: { field: "roles" } },
    h("legend", {}, legend),
    rolesFor(company).map((role) => {
      const id = `role-${role}-${Math.random().toString(36).slice(2, 7)}`;
      return h("div", { class: "check" }, h("input", { type: "checkbox", id, name: "roles", value: role, checked: chosen.includes(role) }), h("label", { for: id }, t(`role.${role}`)));
    }),
    h("p", { class: "error", hidden: true }),
  );
}

function roleNames(roles) {
  return roles.map((r) => t(`role.${r}`)).join(", ");
}

export async function directory(main, _params, me) {
  heading(t("people.title"));
  const agent = me.standing === "agent";
  const search = h(
    "form",
    { class: "inline", role: "search", novalidate: true },
    field({ name: "search", label: t("people.search"), kind: "search" }),
    agent ? field({ name: "company", label: t("people.company") }) : null,
    h("button", { type: "submit" }, t("people.filter")),
  );
  const list = h("div");
  const load = async (filters = {}) => {
    const page = await api.get(`/v1/users${api.query({ ...filters, limit: 100 })}`);
    if (!page.items.length) return list.replaceChildren(h("p", { class: "empty" }, t("people.none")));
    list.replaceChildren(
      table(
        [t("people.name"), t("people.email"), t("people.company"), t("people.roles"), t("people.state"), ""],
        page.items.map((user) => userRow(user, me, () => load(filters))),
      ),
    );
  };
  onSubmit(search, async (data) => load({ search: data.get("search").trim(), company: (data.get("company") || "").trim() }));

  const invite = h(
    "form",
    { class: "card", novalidate: true },
    h("h2", {}, t("people.invite")),
    field({ name: "name", label: t("people.name"), required: true }),
    field({ name: "email", label: t("people.email"), kind: "email", required: true }),
    agent ? field({ name: "company", label: t("people.company"), required: true, hint: t("request.companyHint") }) : null,
    h("div", { class: "role-box" }, rolePicker(me.company)),
    h("button", { type: "submit" }, t("people.invite")),
  );
  if (agent && me.manages_accounts) {
    // Staff invite to any company: the roles offered follow the company typed.
    const company = invite.querySelector('[name="company"]');
    company.addEventListener("change", () => invite.querySelector(".role-box").replaceChildren(rolePicker(company.value.trim().toUpperCase())));
  }
  onSubmit(invite, async (data) => {
    const body = { name: data.get("name").trim(), email: data.get("email").trim(), roles: data.getAll("roles") };
    if (agent) body.company = data.get("company").trim();
    const user = await api.post("/v1/users", body);
    announce(t("people.invited", { email: user.email }));
    invite.reset();
    invite.prepend(h("p", { class: "notice", role: "status" }, t("people.invited", { email: user.email })));
    await load();
  });
  // Only account managers (Owner, Administrator, Human Resources; the staff admin) change
  // accounts; other staff see the directory.
  main.append(...[search, list, me.manages_accounts ? invite : null].filter(Boolean));
  await load();
}

/** A person's cells: name, email, company, roles, state, and what a manager may do. */
function userRow(user, me, reload) {
  // Nobody changes their own roles or state; only account managers change others'.
  const handsOff = user.id === me.user_id || !me.manages_accounts;
  const cell = h("div", {});
  const setState = async (state) => {
    try {
      await api.patch(`/v1/users/${encodeURIComponent(user.id)}`, { state });
      announce(t("form.saved"));
      await reload();
    } catch (problem) {
      showProblem(cell, problem);
    }
  };
  if (!handsOff && user.state !== "invited") {
    cell.append(
      user.state === "active"
        ? h("button", { type: "button", class: "secondary", onclick: () => setState("deactivated") }, t("people.deactivate"), h("span", { class: "visually-hidden" }, ` ${user.email}`))
        : h("button", { type: "button", class: "secondary", onclick: () => setState("active") }, t("people.activate"), h("span", { class: "visually-hidden" }, ` ${user.email}`)),
    );
  }
  if (!handsOff) {
    const form = h("form", { novalidate: true }, h("details", {}, h("summary", {}, t("people.saveRoles"), h("span", { class: "visually-hidden" }, ` ${user.email}`)), rolePicker(user.company, user.roles), h("button", { type: "submit" }, t("people.saveRoles"))));
    onSubmit(form, async (data) => {
      await api.patch(`/v1/users/${encodeURIComponent(user.id)}`, { roles: data.getAll("roles") });
      announce(t("form.saved"));
      await reload();
    });
    cell.append(form);
  }
  return [user.name, user.email, user.company, roleNames(user.roles), t(`state.${user.state}`), cell];
}

export async function accessRequests(main) {
  heading(t("requests.title"));
  const list = h("div");
  const load = async () => {
    const page = await api.get("/v1/access-requests?limit=100");
    const pending = page.items.filter((r) => r.state === "pending");
    const decided = page.items.filter((r) => r.state !== "pending");
    list.replaceChildren(
      ...(pending.length ? pending.map((request) => requestCard(request, load)) : [h("p", { class: "empty" }, t("requests.empty"))]),
      decided.length
        ? h(
            "section",
            { "aria-labelledby": "decided-h" },
            h("h2", { id: "decided-h" }, t("requests.decided")),
            h(
              "ul",
              {},
              decided.map((r) =>
                h("li", {}, `${r.name} <${r.email}> · ${r.company} · ${t(`requests.state.${r.state}`)}`, r.decided_at ? [" · ", time(r.decided_at)] : null, r.decided_by ? ` · ${r.decided_by}` : ""),
              ),
            ),
          )
        : null,
    );
  };
  main.append(list);
  await load();
}

function requestCard(request, reload) {
  const approve = h(
    "form",
    { novalidate: true },
    rolePicker(request.company, [], t("requests.roles")),
    h("button", { type: "submit" }, t("requests.approve"), h("span", { class: "visually-hidden" }, ` ${request.email}`)),
  );
  onSubmit(approve, async (data) => {
    await api.post(`/v1/access-requests/${encodeURIComponent(request.id)}/decision`, { decision: "approve", roles: data.getAll("roles") });
    announce(t("requests.approved", { email: request.email }));
    await reload();
  });
  const reject = h(
    "form",
    { novalidate: true },
    field({ name: "message", label: t("requests.rejectMessage"), kind: "textarea" }),
    h("button", { type: "submit", class: "secondary" }, t("requests.reject"), h("span", { class: "visually-hidden" }, ` ${request.email}`)),
  );
  onSubmit(reject, async (data) => {
    const body = { decision: "reject" };
    if (data.get("message").trim()) body.message = data.get("message").trim();
    await api.post(`/v1/access-requests/${encodeURIComponent(request.id)}/decision`, body);
    announce(t("requests.rejected", { email: request.email }));
    await reload();
  });
  return h(
    "article",
    { class: "card request" },
    h("h2", {}, `${request.name} <${request.email}>`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("requests.company")),
      h("dd", {}, request.company, request.known_company ? "" : ` ${t("requests.unknownCompany")}`),
      h("dt", {}, t("requests.need")),
      h("dd", {}, request.need),
      h("dt", {}, t("held.received")),
      h("dd", {}, time(request.created_at)),
    ),
    approve,
    reject,
  );
}

export async function companies(main, _params, me) {
  heading(t("companies.title"));
  const list = h("div");
  // Staff see every company; the staff admin changes them.
  const editable = me.roles.includes("staff_admin");
  const load = async () => {
    const page = await api.get("/v1/companies?limit=100");
    list.replaceChildren(...page.items.map((company) => companyCard(company, load, editable)));
  };
  main.append(list);
  await load();
}

function companyCard(company, reload, editable) {
  const form = h(
    "form",
    { novalidate: true },
    field({ name: "name", label: t("companies.name"), value: company.name, required: true }),
    field({ name: "first_level_support_email", label: t("companies.firstLevel"), kind: "email", value: company.first_level_support_email, required: true }),
    h("button", { type: "submit" }, t("form.save")),
  );
  onSubmit(form, async (data) => {
    await api.patch(`/v1/companies/${encodeURIComponent(company.code)}`, { name: data.get("name").trim(), first_level_support_email: data.get("first_level_support_email").trim() });
    announce(t("form.saved"));
    await reload();
  });
  const toggle = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: async () => {
        try {
          await api.patch(`/v1/companies/${encodeURIComponent(company.code)}`, { active: !company.active });
          announce(t("form.saved"));
          await reload();
        } catch (problem) {
          showProblem(form, problem);
        }
      },
    },
    company.active ? t("companies.deactivate") : t("companies.activate"),
  );
  const state = h("p", {}, company.active ? t("companies.active") : t("companies.inactive"));
  if (!editable) {
    return h("article", { class: "card" }, h("h2", {}, `${company.code} · ${company.name}`), state, h("p", {}, `${t("companies.firstLevel")}: ${company.first_level_support_email}`));
  }
  return h("article", { class: "card" }, h("h2", {}, `${company.code} · ${company.name}`), state, form, h("div", { class: "buttons" }, toggle));
}

export async function profile(main, _params, me) {
  heading(t("profile.title"));
  const account = me.account || {};
  const details = h(
    "form",
    { class: "card", novalidate: true },
    field({ name: "name", label: t("profile.name"), value: account.name || me.name || "", required: true, attrs: { autocomplete: "name" } }),
    field({ name: "title", label: t("profile.jobTitle"), value: account.title || "", attrs: { autocomplete: "organization-title" } }),
    field({
      name: "date_format",
      label: t("profile.dateFormat"),
      kind: "select",
      value: account.date_format || "iso",
      options: ["iso", "us", "eu", "long"].map((f) => [f, t(`date.${f}`)]),
      hint: t("profile.timeZone", { zone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
    }),
    h("button", { type: "submit" }, t("form.save")),
  );
  onSubmit(details, async (data) => {
    const user = await api.patch("/v1/me", { name: data.get("name").trim(), title: data.get("title").trim(), date_format: data.get("date_format") });
    me.account = user.account || user;
    me.name = me.account.name || me.name;
    setDateFormat(data.get("date_format"));
    announce(t("profile.saved"));
    await render();
  });
  const password = h(
    "form",
    { class: "card", novalidate: true },
    h("h2", {}, t("profile.password")),
    field({ name: "current_password", label: t("profile.current"), kind: "password", required: true, attrs: { autocomplete: "current-password" } }),
    field({ name: "new_password", label: t("profile.new"), kind: "password", required: true, hint: t("setpw.hint"), attrs: { autocomplete: "new-password" } }),
    h("button", { type: "submit" }, t("profile.password")),
  );
  onSubmit(password, async (data) => {
    await api.changePassword(data.get("current_password"), data.get("new_password"));
    password.reset();
    announce(t("profile.passwordChanged"));
    password.append(h("p", { class: "notice", role: "status" }, t("profile.passwordChanged")));
  });
  const email = h(
    "form",
    { class: "card", novalidate: true },
    h("h2", {}, t("profile.email")),
    field({ name: "email", label: t("profile.newEmail"), kind: "email", required: true, attrs: { autocomplete: "email" } }),
    h("button", { type: "submit" }, t("profile.email")),
  );
  onSubmit(email, async (data) => {
    await api.post("/v1/me/email", { email: data.get("email").trim() });
    announce(t("profile.emailSent", { email: data.get("email").trim() }));
    email.append(h("p", { class: "notice", role: "status" }, t("profile.emailSent", { email: data.get("email").trim() })));
  });
  main.append(details, password, email);
}
