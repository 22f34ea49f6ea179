// Long waits made visible. A write the API accepted is followed until it is confirmed on chain
// (the step list of templates/_macros.html `write_progress`); a file is hashed on this
// machine with a progress bar and a stop button (`hash_progress`).

import { ApiError, OPERATION_STEPS, followOperation, post, waitFor } from "./api.js";
import { sha256File } from "./crypto.js";
import { $, el, fill, focusResult } from "./dom.js";
import { formatBytes, formatPercent, t } from "./i18n.js";

// -- accepted writes ----------------------------------------------------------------------

export function progressView() {
  const card = $("#progress-card");
  const list = $("#progress");
  const status = $("#progress-status");
  return {
    start(kindKey) {
      card.hidden = false;
      status.classList.remove("status-error");
      fill(
        list,
        OPERATION_STEPS.map((step) =>
          el("li", { "data-step": step }, el("span", { class: "step-label" }, t(`op.${step}`))),
        ),
      );
      status.textContent = t("progress.sending", { what: t(kindKey) });
    },
    update(op) {
      const reached = OPERATION_STEPS.indexOf(op.status);
      for (const item of list.children) {
        const index = OPERATION_STEPS.indexOf(item.dataset.step);
        item.classList.toggle("done", index <= reached);
        item.classList.toggle("current", index === reached);
        if (index === reached) item.setAttribute("aria-current", "step");
        else item.removeAttribute("aria-current");
      }
      status.textContent = t(`op.status.${op.status}`);
    },
    fail(error) {
      status.textContent = error instanceof ApiError ? error.message : t("error.unexpected");
      if (error instanceof ApiError && error.detail) status.title = error.detail;
      status.classList.add("status-error");
      for (const item of list.children) item.classList.remove("current");
      focusResult(status);
    },
  };
}

/** After a confirmed write: wait until the index shows its effect (`check()` returns
 * something truthy, which is returned), saying so under the steps when it takes a moment. */
export async function settle(check) {
  const status = $("#progress-status");
  const confirmed = status.textContent;
  try {
    return await waitFor(check, {
      onWait: (elapsed) => {
        if (elapsed >= 750) {
          status.textContent = t("progress.indexing", { seconds: Math.round(elapsed / 1000) });
        }
      },
    });
  } finally {
    status.textContent = confirmed;
  }
}

/** POST a write, follow it to confirmation with visible progress; the confirmed op. */
export async function submitWrite(kindKey, path, body) {
  const view = progressView();
  view.start(kindKey);
  try {
    const op = await post(path, body);
    return await followOperation(op, (current) => view.update(current));
  } catch (error) {
    view.fail(error);
    throw error;
  }
}

// -- hashing a file here ---------------------------------------------------------------------

// The hash running in each progress box: starting another one there stops it.
const running = new WeakMap();

/** SHA-256 of `file` (0x-hex), computed in this browser while `box` (a `hash_progress`
 * block) shows how far it is and offers to stop. Resolves with null when stopped: by the
 * person, by `signal`, or by another hash started in the same box. */
export async function hashWithProgress(file, box, { signal } = {}) {
  running.get(box)?.abort();
  const controller = new AbortController();
  running.set(box, controller);
  const stopOuter = () => controller.abort();
  signal?.addEventListener("abort", stopOuter, { once: true });
  if (signal?.aborted) controller.abort();
  const bar = $("progress", box);
  const text = $(".hash-progress-text", box);
  const show = (done, total) => {
    bar.max = Math.max(total, 1);
    bar.value = done;
    text.textContent = t("hash.progress", {
      percent: formatPercent(total ? done / total : 1),
      done: formatBytes(done),
      total: formatBytes(total),
    });
  };
  $(".hash-progress-stop", box).onclick = () => controller.abort();
  show(0, file.size);
  box.hidden = false;
  try {
    return await sha256File(file, { signal: controller.signal, onProgress: show });
  } catch (error) {
    if (controller.signal.aborted) return null;
    throw error;
  } finally {
    signal?.removeEventListener("abort", stopOuter);
    if (running.get(box) === controller) {
      running.delete(box);
      box.hidden = true;
    }
  }
}
