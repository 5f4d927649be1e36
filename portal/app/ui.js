// Small helpers every page uses: building elements, announcing to screen readers, showing
// an API problem next to the field it names, and dates in the person's format.
import { t, language, has } from "./i18n.js";
import { Problem, blob } from "./api.js";

/** `h("button", { type: "submit", onclick }, "Save")`: an element with its attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Says `message` through the page's live region (polite: status; assertive: errors). */
export function announce(message, assertive = false) {
  const region = document.getElementById(assertive ? "alert" : "status");
  region.textContent = "";
  // A fresh node after a tick, so the same message twice is read twice.
  setTimeout(() => (region.textContent = message), 30);
}

let fieldIds = 0;

/**
 * A labelled field. `name` is the API's field name: a problem naming it is shown beside it.
 * `kind` is an input type, "textarea" or "select" (with `options: [[value, label]]`).
 */
export function field({ name, label, kind = "text", required = false, hint, options, value, attrs = {} }) {
  const id = `f${++fieldIds}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const described = [hintId, errorId].filter(Boolean).join(" ");
  const common = { id, name, "aria-describedby": described, required, ...attrs };
  let control;
  if (kind === "textarea") control = h("textarea", { rows: 4, ...common }, value ?? "");
  else if (kind === "select") {
    control = h("select", common, (options || []).map(([v, l]) => h("option", { value: v, selected: v === value }, l)));
  } else control = h("input", { type: kind, value: value ?? undefined, ...common });
  return h(
    "div",
    { class: "field", dataset: { field: name } },
    h("label", { for: id }, label, required ? h("span", { class: "req" }, ` (${t("form.required")})`) : null),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control,
    h("p", { class: "error", id: errorId, hidden: true }),
  );
}

/** Clears the problems shown in `form`. */
export function clearProblems(form) {
  form.querySelectorAll(".field .error").forEach((e) => {
    e.hidden = true;
    e.textContent = "";
  });
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const summary = form.querySelector(".form-problem");
  if (summary) summary.remove();
}

/** The text to show for a problem, in the page's language where the portal knows it. */
export function problemText(problem) {
  if (problem instanceof Problem) {
    if (problem.status === 0) return t("app.offline");
    // The API speaks English; where the portal has the problem type's own sentence in the
    // page's language it says that (a field's problem keeps the API's detail after it).
    const kind = problem.type.replace("urn:claimdesk:problem:", "");
    if (language() !== "en" && kind && has(`problem.${kind}`)) return t(`problem.${kind}`, { detail: problem.detail });
    return problem.detail || problem.title;
  }
  return t("app.error", { detail: String(problem?.message || problem) });
}

/**
 * Shows an API problem: beside the field it names when the form has it (focused, marked
 * invalid), else above the form; either way announced.
 */
export function showProblem(form, problem) {
  clearProblems(form);
  const text = problemText(problem);
  const name = problem?.field;
  const box = name ? form.querySelector(`.field[data-field="${CSS.escape(name)}"]`) ?? closestField(form, name) : null;
  if (box) {
    const error = box.querySelector(".error");
    const control = box.querySelector("input, select, textarea");
    error.textContent = text;
    error.hidden = false;
    control?.setAttribute("aria-invalid", "true");
    control?.focus();
  } else {
    form.prepend(h("p", { class: "form-problem", role: "alert" }, text));
  }
  announce(text, true);
}

// `fields.amount` is shown at the field named `fields.amount`, or `amount` if the form
// names it so; `contact.email` at `contact.email` or `email`.
function closestField(form, name) {
  const last = name.split(".").pop();
  return form.querySelector(`.field[data-field="${CSS.escape(last)}"]`);
}

/** Runs `work` for a form's submit: the button is busy meanwhile, problems go beside fields. */
export function onSubmit(form, work) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button?.disabled) return;
    clearProblems(form);
    if (button) button.disabled = true;
    try {
      await work(new FormData(form));
    } catch (problem) {
      showProblem(form, problem);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

let dateFormat = "iso";

/** The person's date format (`GET /v1/me` account.date_format): iso, us, eu or long. */
export function setDateFormat(format) {
  if (["iso", "us", "eu", "long"].includes(format)) dateFormat = format;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** A date in the person's format, in the browser's time zone. */
export function formatDate(value, withTime = true) {
  if (!value) return "";
  // A calendar date (a delivery date, a warranty's end) is that day wherever one is.
  const calendar = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = calendar ? new Date(+calendar[1], +calendar[2] - 1, +calendar[3]) : new Date(value);
  if (calendar) withTime = false;
  if (Number.isNaN(d.getTime())) return String(value);
  const [y, m, day] = [d.getFullYear(), pad(d.getMonth() + 1), pad(d.getDate())];
  let date;
  switch (dateFormat) {
    case "us":
      date = `${m}/${day}/${y}`;
      break;
    case "eu":
      date = `${day}/${m}/${y}`;
      break;
    case "long":
      date = d.toLocaleDateString(language(), { day: "numeric", month: "long", year: "numeric" });
      break;
    default:
      date = `${y}-${m}-${day}`;
  }
  return withTime ? `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}` : date;
}

/** A `<time>` element showing `value` in the person's format. */
export function time(value, withTime = true) {
  return h("time", { datetime: value }, formatDate(value, withTime));
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A status badge: the status's name, its sub-status, and its meaning as a tooltip and text. */
export function statusBadge(status, subStatus) {
  const label = t(`status.${status}`) + (subStatus ? `: ${subStatus}` : "");
  return h("span", { class: `badge status-${status}` }, label);
}

/**
 * A table of `rows` (arrays of cells) under `headers`, each cell naming its column so that
 * on a phone, where a row becomes a small card, every value keeps its label.
 */
export function table(headers, rows) {
  return h(
    "div",
    { class: "table-wrap list" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, headers.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => h("td", { "data-label": headers[i] || null }, cell))))),
    ),
  );
}

/** Digits after the decimal point of a currency (ISO 4217's minor unit). */
export function currencyDecimals(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** An amount in minor units, shown in its currency (display only: the API keeps integers). */
export function money(minor, currency) {
  const places = currencyDecimals(currency);
  try {
    return new Intl.NumberFormat(language(), { style: "currency", currency }).format(minor / 10 ** places);
  } catch {
    return `${(minor / 10 ** places).toFixed(places)} ${currency}`;
  }
}

/**
 * "12.5" with 2 decimals is 1250: typed amounts become integers without passing through a
 * float. Anything else is a problem naming `name`, shown beside its field.
 */
export function minorUnits(text, places, name) {
  const match = /^(\d{1,13})(?:[.,](\d*))?$/.exec(String(text).trim());
  if (!match || (match[2] || "").length > places) {
    throw new Problem(422, { detail: t("form.amount", { places }), field: name });
  }
  const fraction = (match[2] || "").padEnd(places, "0");
  return Number(match[1]) * 10 ** places + Number(fraction || 0);
}

/** Saves an API download (an export, a report) as a file. */
export async function saveFile(path, filename) {
  const url = URL.createObjectURL(await blob(path));
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
