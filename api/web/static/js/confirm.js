// "Are you sure?" before anything irreversible is signed: a modal dialog that shows what
// exactly will be signed and recorded (a summary of facts), with Cancel and a button naming
// the action. Registering, withdrawing, superseding, endorsing, disputing, voting and
// approving all ask through `confirmAction` first.

import { el } from "./dom.js";
import { t } from "./i18n.js";

/** Ask before signing. `facts` is a list of [term, value] (value: text or a node).
 * Resolves true when the person confirms, false on Cancel or Escape. Focus returns to
 * where it was. */
export function confirmAction({ title, intro = null, facts = [], confirmLabel, danger = false }) {
  const opener = document.activeElement;
  const dialog = el(
    "dialog",
    { id: "confirm-dialog", class: "confirm-dialog", "aria-labelledby": "confirm-title" },
    el(
      "form",
      { method: "dialog", class: "stack" },
      el("h2", { id: "confirm-title" }, title),
      intro ? el("p", {}, intro) : null,
      facts.length
        ? el(
            "dl",
            { class: "facts", id: "confirm-facts" },
            facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
          )
        : null,
      el("p", { class: "help" }, t("confirm.irreversible")),
      el(
        "div",
        { class: "button-row" },
        el("button", { type: "submit", value: "cancel", class: "button", id: "confirm-cancel" }, t("common.cancel")),
        el(
          "button",
          {
            type: "submit",
            value: "confirm",
            class: `button ${danger ? "button-danger" : "button-primary"}`,
            id: "confirm-accept",
          },
          confirmLabel,
        ),
      ),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        const confirmed = dialog.returnValue === "confirm";
        dialog.remove();
        if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
        resolve(confirmed);
      },
      { once: true },
    );
    dialog.showModal();
    // Cancel is the safe default for Enter; the action is one Tab away.
    dialog.querySelector("#confirm-cancel").focus();
  });
}
