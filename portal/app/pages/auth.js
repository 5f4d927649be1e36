// The pages of a person without a session: sign in, forgot password, set a password from
// a mailed link, confirm a new email, request access.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, field, onSubmit, announce } from "../ui.js";
import { heading, signedIn } from "../main.js";

/** The `token` in the URL's fragment (kept out of server logs and Referer headers). */
function fragmentToken() {
  return new URLSearchParams(location.hash.slice(1)).get("token");
}

function done(main, form, key, vars = {}) {
  const note = h("p", { class: "notice", role: "status" }, t(key, vars));
  form.replaceWith(note);
  announce(t(key, vars));
  return note;
}

export async function signIn(main) {
  heading(t("signin.title"));
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    field({ name: "email", label: t("signin.email"), kind: "email", required: true, attrs: { autocomplete: "username" } }),
    field({ name: "password", label: t("signin.password"), kind: "password", required: true, attrs: { autocomplete: "current-password" } }),
    h("button", { type: "submit" }, t("signin.submit")),
  );
  onSubmit(form, async (data) => {
    try {
      await api.signIn(data.get("email").trim(), data.get("password"));
    } catch (problem) {
      if (problem.status === 401) problem.detail = t("signin.refused");
      throw problem;
    }
    await signedIn(new URLSearchParams(location.search).get("next"));
  });
  main.append(
    form,
    h(
      "p",
      { class: "links" },
      h("a", { href: "/portal/forgot-password" }, t("signin.forgot")),
      " · ",
      h("a", { href: "/portal/request-access" }, t("signin.request")),
    ),
  );
}

export async function forgotPassword(main) {
  heading(t("forgot.title"));
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    h("p", {}, t("forgot.intro")),
    field({ name: "email", label: t("signin.email"), kind: "email", required: true, attrs: { autocomplete: "username" } }),
    h("button", { type: "submit" }, t("forgot.submit")),
  );
  onSubmit(form, async (data) => {
    await api.post("/v1/password-resets", { email: data.get("email").trim() });
    done(main, form, "forgot.sent");
  });
  main.append(form, h("p", { class: "links" }, h("a", { href: "/portal/sign-in" }, t("signin.title"))));
}

export async function setPassword(main) {
  heading(t("setpw.title"));
  const token = fragmentToken();
  if (!token) {
    main.append(h("p", { class: "form-problem", role: "alert" }, t("setpw.noToken")));
    return;
  }
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    field({ name: "password", label: t("setpw.password"), kind: "password", required: true, hint: t("setpw.hint"), attrs: { autocomplete: "new-password" } }),
    field({ name: "confirm", label: t("setpw.confirm"), kind: "password", required: true, attrs: { autocomplete: "new-password" } }),
    h("button", { type: "submit" }, t("setpw.submit")),
  );
  onSubmit(form, async (data) => {
    if (data.get("password") !== data.get("confirm")) {
      throw new api.Problem(422, { detail: t("setpw.mismatch"), field: "confirm" });
    }
    await api.post("/v1/passwords", { token, password: data.get("password") });
    // The secret has done its job: it leaves the address bar and the history.
    history.replaceState(null, "", location.pathname);
    done(main, form, "setpw.done");
    main.append(h("p", {}, h("a", { href: "/portal/sign-in", class: "button" }, t("signin.title"))));
  });
  main.append(form);
}

export async function confirmEmail(main) {
  heading(t("confirm.title"));
  const token = fragmentToken();
  if (!token) {
    main.append(h("p", { class: "form-problem", role: "alert" }, t("setpw.noToken")));
    return;
  }
  const form = h("form", { class: "card narrow", novalidate: true }, h("button", { type: "submit" }, t("confirm.submit")));
  onSubmit(form, async () => {
    await api.post("/v1/email-confirmations", { token });
    history.replaceState(null, "", location.pathname);
    done(main, form, "confirm.done");
  });
  main.append(form);
}

export async function requestAccess(main) {
  heading(t("request.title"));
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    h("p", {}, t("request.intro")),
    field({ name: "name", label: t("request.name"), required: true, attrs: { autocomplete: "name" } }),
    field({ name: "email", label: t("request.email"), kind: "email", required: true, attrs: { autocomplete: "email" } }),
    field({ name: "company", label: t("request.company"), required: true, hint: t("request.companyHint"), attrs: { autocomplete: "organization" } }),
    field({ name: "phone", label: t("request.phone"), kind: "tel", attrs: { autocomplete: "tel" } }),
    field({ name: "need", label: t("request.need"), kind: "textarea", required: true }),
    h("button", { type: "submit" }, t("request.submit")),
  );
  onSubmit(form, async (data) => {
    const body = { name: data.get("name").trim(), email: data.get("email").trim(), company: data.get("company").trim() };
    body.need = data.get("need").trim();
    if (data.get("phone").trim()) body.phone = data.get("phone").trim();
    await api.post("/v1/access-requests", body);
    done(main, form, "request.sent");
  });
  main.append(form, h("p", { class: "links" }, h("a", { href: "/portal/sign-in" }, t("signin.title"))));
}
