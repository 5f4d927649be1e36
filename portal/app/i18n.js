// English and Spanish (seed 001 is the Spanish manual of a clearinghouse). The language is
// the browser's until the person picks one; the pick is kept in localStorage.
import { en } from "./locales/en.js";
import { es } from "./locales/es.js";

const dictionaries = { en, es };
export const LANGUAGES = { en: "English", es: "Español" };

function initial() {
  const kept = localStorage.getItem("claimdesk.lang");
  if (kept && dictionaries[kept]) return kept;
  const browser = (navigator.languages || [navigator.language || "en"]).map((l) => l.slice(0, 2).toLowerCase());
  return browser.find((l) => dictionaries[l]) || "en";
}

let lang = initial();
document.documentElement.lang = lang;

export function language() {
  return lang;
}

export function setLanguage(next) {
  if (!dictionaries[next]) return;
  lang = next;
  localStorage.setItem("claimdesk.lang", next);
  document.documentElement.lang = next;
}

/** The text of `key` in the current language, `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = dictionaries[lang][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`).toString());
}

/** Whether the current language has its own text for `key` (not English's fallback). */
export function has(key) {
  return key in dictionaries[lang];
}
