// The home page: what the ledger is, the demo consortium and the tour; in a sandbox, the
// one-click reset.

import { clearActor, currentSandboxToken, paths, post, sandboxToken } from "../api.js";
import { context } from "../context.js";
import { $, el, fill, showError } from "../dom.js";
import { t, tr } from "../i18n.js";
import { runPage } from "../page.js";
import { clearOpenings } from "../proofkeys.js";

async function homePage() {
  const demo = context.demo;
  const list = $("#consortium");
  if (!demo) {
    fill(list, el("li", {}, t("home.no_sandbox")));
  } else {
    $("#project-title").textContent = t("home.project_line", {
      title: demo.projectTitle,
      id: demo.projectId,
    });
    fill(
      list,
      demo.people
        .filter((p) => p.address)
        .map((p) =>
          el(
            "li",
            { class: "partner-card" },
            el("h3", {}, p.name),
            el("p", {}, tr("kind", p.kind)),
            el("p", { class: "muted" }, `${t("partner.company_number")}: ${p.companyNumber}`),
            el("p", { class: "muted" }, tr("role", p.role)),
          ),
        ),
    );
  }
  const open = $("#reset-open");
  if (!open) return;
  const dialog = $("#reset-dialog");
  open.addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "confirm") return;
    const status = $("#reset-status");
    open.disabled = true;
    status.textContent = t("reset.running");
    try {
      await post(paths.reset, { confirm: true });
      // The sandbox stops, wipes and starts again on the same port: wait for the new one,
      // which serves its pages with a new token.
      for (let tries = 0; tries < 240; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const fresh = await currentSandboxToken();
        if (fresh && fresh !== sandboxToken()) {
          clearActor();
          clearOpenings();
          status.textContent = t("reset.done");
          setTimeout(() => window.location.assign("/"), 800);
          return;
        }
      }
      status.textContent = t("error.reset_timeout");
    } catch (error) {
      showError(error);
    } finally {
      open.disabled = false;
    }
  });
}

runPage(homePage);
