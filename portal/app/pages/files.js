// Choosing files for a case (or an article) and sending them: several at once, at most
// 20 MB in all (seed 000), refused here with a clear message before anything is uploaded.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { h, bytes, announce } from "../ui.js";

export const MAX_CASE_BYTES = 20 * 1024 * 1024;

/** A file chooser that knows how much of the 20 MB is used already; `tooLarge` is the
 * message's key (a case's by default). */
export function pickFiles(usedBytes = 0, label = t("new.files"), tooLarge = "new.filesTooLarge") {
  const id = `files-${Math.random().toString(36).slice(2)}`;
  const list = h("ul", { class: "chosen", "aria-live": "polite" });
  const error = h("p", { class: "error", id: `${id}-error`, hidden: true });
  const input = h("input", { type: "file", id, name: "attachment_ids", multiple: true, "aria-describedby": `${id}-error` });
  const box = h("div", { class: "field", dataset: { field: "size" } }, h("label", { for: id }, label), input, list, error);
  const check = () => {
    const files = [...input.files];
    const total = usedBytes + files.reduce((sum, f) => sum + f.size, 0);
    list.replaceChildren(...files.map((f) => h("li", {}, `${f.name} (${bytes(f.size)})`)));
    const over = total > MAX_CASE_BYTES;
    error.hidden = !over;
    error.textContent = over ? t(tooLarge, { size: bytes(total) }) : "";
    if (over) {
      input.setAttribute("aria-invalid", "true");
      announce(error.textContent, true);
    } else input.removeAttribute("aria-invalid");
    return !over;
  };
  input.addEventListener("change", check);
  return {
    element: box,
    chosen() {
      if (!check()) {
        input.focus();
        throw new api.Problem(413, { detail: error.textContent, field: "size" });
      }
      return [...input.files];
    },
    clear() {
      input.value = "";
      check();
    },
  };
}

/** Uploads each file to the case: its attachment ids. */
export async function uploadFiles(ticketId, files) {
  const grants = await uploadTo(`/v1/tickets/${encodeURIComponent(ticketId)}/attachments`, files);
  return grants.map((grant) => grant.attachment.id);
}

/** Uploads each file through `grantsPath` (a case's or an article's attachments): a grant
 * from the API, then the bytes to where it says. The grants. */
export async function uploadTo(grantsPath, files) {
  const grants = [];
  for (const file of files) {
    announce(t("new.uploading", { name: file.name }));
    const grant = await api.post(
      grantsPath,
      { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size },
      { headers: { "Idempotency-Key": api.idempotencyKey() } },
    );
    await api.upload(grant.upload, file);
    grants.push(grant);
  }
  return grants;
}
