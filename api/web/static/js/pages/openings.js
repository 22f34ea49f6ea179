// Proof keys kept in this browser: the opening of each contribution registered here (what
// proves it together with the original file). Download one as an opening file, export all of
// them sealed with a passphrase, import opening files or a sealed backup made elsewhere.
// Openings that exist nowhere else are flagged: they are lost with this browser's storage.

import { ApiError } from "../api.js";
import { nameOf } from "../context.js";
import { $, busy, download, el, fill, short } from "../dom.js";
import { formatNumber, lang, t } from "../i18n.js";
import { DERIVED_V1, openingFileText, parseOpening, sealOpenings, unsealOpenings } from "../openings.js";
import { runPage } from "../page.js";
import {
  backedUp,
  keepOpening,
  keptOpenings,
  markBackedUp,
  secretProblem,
  sheetWritten,
  unbackedOpenings,
} from "../proofkeys.js";
import { SEALED_TYPE } from "../secret.js";

function backupState(opening) {
  const backup = backedUp(opening.contributionId);
  if (backup && backup.how === "custody") return { text: t("openings.at_service"), safe: true };
  if (backup) return { text: t("openings.backed_up", { date: formatDay(backup.at) }), safe: true };
  if (opening.derivation === DERIVED_V1 && opening.secretId && sheetWritten(opening.secretId)) {
    return { text: t("openings.rederivable"), safe: true };
  }
  return { text: t("openings.only_here"), safe: false };
}

const formatDay = (iso) =>
  new Intl.DateTimeFormat(lang === "nl" ? "nl-BE" : "en-GB", { dateStyle: "medium" }).format(new Date(iso));

function downloadOpening(opening) {
  download(
    new Blob([openingFileText(opening)], { type: "application/json" }),
    `opening-${opening.contributionId.slice(2, 10)}.json`,
  );
  markBackedUp([opening.contributionId]);
}

async function openingsPage() {
  const status = $("#openings-status");
  const render = () => {
    const kept = Object.values(keptOpenings());
    fill(
      $("#openings-rows"),
      kept.length
        ? kept.map((opening) => {
            const backup = backupState(opening);
            return el(
              "tr",
              { "data-contribution": opening.contributionId },
              el("td", {}, opening.fileName || t("openings.no_name")),
              el(
                "td",
                {},
                el("a", { href: `/contribution?id=${opening.contributionId}` }, short(opening.contributionId)),
                " ",
                el("span", { class: "muted" }, nameOf(opening.contributor)),
              ),
              el(
                "td",
                {},
                opening.derivation === DERIVED_V1
                  ? t("openings.derived", { id: opening.secretId || "?" })
                  : t("openings.random"),
              ),
              el("td", { class: backup.safe ? "" : "status-error" }, backup.text),
              el(
                "td",
                {},
                el(
                  "button",
                  { type: "button", class: "button-link", onclick: () => (downloadOpening(opening), render()) },
                  t("openings.download_one"),
                ),
              ),
            );
          })
        : el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("openings.none"))),
    );
    const unbacked = unbackedOpenings();
    const warning = $("#openings-unbacked");
    warning.hidden = unbacked.length === 0;
    warning.textContent = t("openings.unbacked_warning", { count: formatNumber(unbacked.length) });
  };

  $("#export-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#export-submit"), async () => {
      const passphrase = $("#export-passphrase").value;
      if (passphrase !== $("#export-passphrase-again").value) {
        throw new ApiError(422, "passphrase_mismatch", t("secret.passphrase_mismatch"), "");
      }
      const kept = Object.values(keptOpenings());
      if (!kept.length) {
        status.textContent = t("openings.none");
        return;
      }
      status.textContent = t("recovery.sealing");
      let text;
      try {
        text = await sealOpenings(kept, passphrase);
      } catch (error) {
        status.textContent = "";
        throw secretProblem(error);
      }
      const day = new Date().toISOString().slice(0, 10);
      download(new Blob([text], { type: "application/json" }), `proof-keys-${day}.json`);
      markBackedUp(kept.map((o) => o.contributionId));
      $("#export-passphrase").value = "";
      $("#export-passphrase-again").value = "";
      status.textContent = t("openings.exported", { count: formatNumber(kept.length) });
      render();
    });
  });

  $("#import-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#import-submit"), async () => {
      const results = [];
      for (const file of $("#import-files").files) {
        try {
          const text = await file.text();
          let type = null;
          try {
            type = JSON.parse(text).type;
          } catch {
            // parseOpening says what is wrong with it.
          }
          const openings =
            type === SEALED_TYPE
              ? await unsealOpenings(text, $("#import-passphrase").value)
              : [parseOpening(text)];
          for (const opening of openings) keepOpening(opening);
          // They exist elsewhere already: the file they came from.
          markBackedUp(openings.map((o) => o.contributionId));
          results.push(el("li", { class: "pass" }, t("openings.imported", { file: file.name, count: formatNumber(openings.length) })));
        } catch (error) {
          const problem = secretProblem(error);
          results.push(el("li", { class: "fail" }, `${file.name}: ${problem.message || t("error.unexpected")}`));
        }
      }
      fill($("#import-results"), results);
      $("#import-passphrase").value = "";
      render();
    });
  });

  render();
}

runPage(openingsPage);
