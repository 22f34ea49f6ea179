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

export function showError(error, target = $("#page-error")) {
  const message = error instanceof ApiError ? error.message : t("error.unexpected");
  const detail = error instanceof ApiError && error.detail ? ` (${error.detail})` : "";
  target.textContent = message + detail;
  target.hidden = false;
  if (!(error instanceof ApiError)) console.error(error);
}

export function clearError() {
  const target = $("#page-error");
  target.hidden = true;
  target.textContent = "";
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
