// The portal's shell: the header and navigation, the router, and the session. Pages are
// modules under pages/; each exports functions that fill `main` for a route.
import * as api from "./api.js";
import { t, language, setLanguage, LANGUAGES } from "./i18n.js";
import { h, setDateFormat, problemText } from "./ui.js";
import * as auth from "./pages/auth.js";
import * as cases from "./pages/cases.js";
import * as newCase from "./pages/new-case.js";
import * as agent from "./pages/agent.js";
import * as people from "./pages/people.js";
import * as warranty from "./pages/warranty.js";
import * as claims from "./pages/claims.js";
import * as serviceLevels from "./pages/service-levels.js";
import * as help from "./pages/help.js";

/** What the signed-in person is (`GET /v1/me`), or null. */
export let me = null;

// Path patterns to pages; `open` pages need no session.
const ROUTES = [
  { path: /^\/(portal\/?)?$/, page: cases.home },
  { path: /^\/portal\/sign-in$/, page: auth.signIn, open: true },
  { path: /^\/portal\/forgot-password$/, page: auth.forgotPassword, open: true },
  { path: /^\/portal\/set-password$/, page: auth.setPassword, open: true },
  { path: /^\/portal\/confirm-email$/, page: auth.confirmEmail, open: true },
  { path: /^\/portal\/request-access$/, page: auth.requestAccess, open: true },
  { path: /^\/portal\/guest\/([^/]+)$/, page: cases.guest, open: true },
  { path: /^\/portal\/new$/, page: newCase.page },
  { path: /^\/portal\/cases\/([^/]+)$/, page: cases.casePage },
  { path: /^\/portal\/queue$/, page: agent.queue },
  { path: /^\/portal\/held-mail$/, page: agent.heldMail },
  { path: /^\/portal\/reports$/, page: serviceLevels.report },
  { path: /^\/portal\/people$/, page: people.directory },
  { path: /^\/portal\/access-requests$/, page: people.accessRequests },
  { path: /^\/portal\/companies$/, page: people.companies },
  { path: /^\/portal\/profile$/, page: people.profile },
  { path: /^\/portal\/warranty$/, page: warranty.page },
  { path: /^\/portal\/claims$/, page: claims.list },
  { path: /^\/portal\/claims\/new$/, page: claims.create },
  { path: /^\/portal\/claims\/([^/]+)$/, page: claims.claimPage },
  { path: /^\/portal\/rmas$/, page: claims.rmaList },
  { path: /^\/portal\/rmas\/([^/]+)$/, page: claims.rmaPage },
  { path: /^\/portal\/help$/, page: help.knowledgeBase },
  { path: /^\/portal\/help\/new$/, page: help.newArticle },
  { path: /^\/portal\/help\/articles\/([^/]+)$/, page: help.articlePage },
  { path: /^\/portal\/help\/solutions\/([^/]+)$/, page: help.solutionPage },
  { path: /^\/portal\/search$/, page: help.searchPage },
  { path: /^\/portal\/notifications$/, page: help.notifications },
  { path: /^\/portal\/announcements$/, page: help.announcements },
];

const main = document.getElementById("main");

/** Goes to a portal path without a reload. */
export function go(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

/** Sets the page's title and heading, and moves focus there (a new page for screen readers). */
export function heading(text) {
  document.title = `${text} · ${t("app.name")}`;
  const h1 = h("h1", { tabindex: "-1" }, text);
  main.append(h1);
  return h1;
}

async function loadMe() {
  me = await api.get("/v1/me");
  setDateFormat(me.account?.date_format || "iso");
}

function navLinks() {
  if (!me) return [];
  const links = [["/portal", "nav.home"], ["/portal/new", "nav.new"]];
  const agentSide = me.standing === "agent";
  if (agentSide || me.standing === "client_admin") links.push(["/portal/queue", "nav.queue"]);
  if (agentSide) links.push(["/portal/held-mail", "nav.held"], ["/portal/reports", "nav.reports"]);
  links.push(["/portal/warranty", "nav.warranty"], ["/portal/claims", "nav.claims"], ["/portal/rmas", "nav.rmas"]);
  links.push(["/portal/help", "nav.help"]);
  if (agentSide) links.push(["/portal/announcements", "nav.announcements"]);
  if (me.manages_accounts || agentSide) {
    links.push(["/portal/people", "nav.people"], ["/portal/access-requests", "nav.requests"]);
  }
  if (agentSide) links.push(["/portal/companies", "nav.companies"]);
  links.push(["/portal/profile", "nav.profile"]);
  return links;
}

function renderHeader() {
  const header = document.getElementById("top");
  const here = location.pathname.replace(/\/$/, "") || "/portal";
  const nav = me
    ? h(
        "nav",
        { "aria-label": t("nav.main") },
        h(
          "ul",
          {},
          navLinks().map(([href, key]) =>
            h("li", {}, h("a", { href, "aria-current": href === here || (href === "/portal" && here === "") ? "page" : null }, t(key))),
          ),
          h("li", {}, h("button", { type: "button", class: "link", id: "sign-out", onclick: signOut }, t("nav.signOut"))),
        ),
      )
    : null;
  const picker = h(
    "select",
    { id: "language", "aria-label": t("app.language"), onchange: (e) => { setLanguage(e.target.value); render(); } },
    Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, selected: code === language(), lang: code }, name)),
  );
  const parts = [h("a", { href: "/portal", class: "brand" }, t("app.name")), me ? h("span", { class: "who" }, me.name || me.email) : null, ...help.headerTools(me), nav, picker];
  header.replaceChildren(...parts.filter(Boolean));
}

async function signOut() {
  await api.signOut();
  me = null;
  go("/portal/sign-in");
}

/** Called by the sign-in page once a session exists. */
export async function signedIn(next) {
  await loadMe();
  go(next && next.startsWith("/portal") ? next : "/portal", { replace: true });
}

let rendering = 0;

export async function render() {
  const turn = ++rendering;
  const path = location.pathname;
  const route = ROUTES.find((r) => r.path.test(path));
  document.getElementById("skip").textContent = t("app.skip");
  if (!route) {
    renderHeader();
    main.replaceChildren();
    heading(t("app.notFound"));
    return;
  }
  if (!route.open && !api.signedIn()) {
    if (!(await api.resume())) {
      me = null;
      go(`/portal/sign-in?next=${encodeURIComponent(path + location.search)}`, { replace: true });
      return;
    }
  }
  if (api.signedIn() && !me) {
    try {
      await loadMe();
    } catch {
      me = null;
    }
  }
  if (turn !== rendering) return;
  renderHeader();
  help.banner(document.getElementById("banner"), route.open ? null : me);
  main.replaceChildren();
  main.setAttribute("aria-busy", "true");
  const params = path.match(route.path).slice(1).map(decodeURIComponent);
  try {
    await route.page(main, params, me);
  } catch (problem) {
    if (turn !== rendering) return;
    if (problem instanceof api.Problem && problem.status === 401) {
      go(`/portal/sign-in?next=${encodeURIComponent(path)}`, { replace: true });
      return;
    }
    main.append(h("p", { class: "form-problem", role: "alert" }, problemText(problem)));
  } finally {
    main.removeAttribute("aria-busy");
  }
  if (turn === rendering) {
    main.querySelector("h1")?.focus();
    // When the page became usable: the browser tests read it (navigation timing).
    performance.mark("claimdesk:ready");
  }
}

// Links inside the portal change the page without a reload.
document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download") || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !(url.pathname === "/" || url.pathname.startsWith("/portal"))) return;
  // A link within the page (the skip link) is the browser's to follow.
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  event.preventDefault();
  go(url.pathname + url.search + url.hash);
});
window.addEventListener("popstate", render);
api.onSession((on) => {
  if (!on) me = null;
});

render();
