// Small DOM helpers every page uses: building elements without parsing HTML, filling a list,
// showing an error in plain words, downloading a Blob, running an action with its button busy.

import { ApiError } from "./api.js";
import { t } from "./i18n.js";

export const $ = (selector, root = document) => root.querySelector(selector);

/** Create an element: el("p", {class: "x"}, "text", child, ...). Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace the children of `node` and mark it loaded. */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  node.removeAttribute("aria-busy");
}

/** One term and its value for a <dl class="facts">. */
export function fact(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

/** A hash or address shortened for reading: 0x7d1b33…a83828. */
export const short = (hex) => (hex ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : "");

/** Say what went wrong, in the page's language, and move keyboard focus there (the box is
 * role=alert, so it is also announced). The API's own English message, if any, is only a
 * tooltip: the sentence comes from the translation table. */
export function showError(error, target = $("#page-error")) {
  const message = error instanceof ApiError ? error.message : t("error.unexpected");
  target.textContent = message;
  if (error instanceof ApiError && error.detail) target.title = error.detail;
  else target.removeAttribute("title");
  target.hidden = false;
  focusResult(target);
  if (!(error instanceof ApiError)) console.error(error);
}

export function clearError() {
  const target = $("#page-error");
  target.hidden = true;
  target.textContent = "";
  target.removeAttribute("title");
}

/** Move keyboard focus to what an action produced (its result line or status), so that
 * someone using the keyboard or a screen reader continues there, not at the top. */
export function focusResult(node) {
  if (!node) return;
  if (!node.hasAttribute("tabindex")) node.setAttribute("tabindex", "-1");
  node.focus({ preventScroll: false });
}

export function download(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Run `action` with `button` disabled, errors shown in plain words. */
export async function busy(button, action, errorTarget) {
  if (button) button.disabled = true;
  clearError();
  try {
    return await action();
  } catch (error) {
    showError(error, errorTarget);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
