// The recovery sheet: the partner's proof secret, from which the salt of every contribution is
// derived. First use creates it and walks the partner through writing down its 24 words; a
// new browser restores it from those words (or a key file); the partner chooses whether the
// service keeps a copy (custodial) or only the partner does.

import { ApiError, get, paths, request } from "../api.js";
import { context, requireActor } from "../context.js";
import { $, busy, download, el, fill, showError } from "../dom.js";
import { t } from "../i18n.js";
import { runPage } from "../page.js";
import {
  custodialSecret,
  keepSecret,
  lockSecret,
  markSheetWritten,
  sealedSecret,
  secretProblem,
  secretState,
  sheetWritten,
  unlockSecret,
} from "../proofkeys.js";
import { toHex } from "../crypto.js";
import {
  MIN_PASSPHRASE_CHARS,
  newProofSecret,
  secretFromWords,
  secretId,
  secretWords,
  unsealSecret,
} from "../secret.js";

const CONFIRM_COUNT = 3;

/** Where to go after the secret is ready: a page of this site only. */
function nextPage() {
  const next = new URLSearchParams(window.location.search).get("next") || "";
  return /^\/[a-z]*$/.test(next) ? next : null;
}

function positions(count) {
  const chosen = new Set();
  const random = new Uint32Array(count * 4);
  crypto.getRandomValues(random);
  for (const value of random) {
    if (chosen.size === count) break;
    chosen.add((value % 24) + 1);
  }
  return Array.from(chosen).sort((a, b) => a - b);
}

function checkPassphrase(passphrase, again) {
  if (passphrase.length < MIN_PASSPHRASE_CHARS) {
    throw new ApiError(422, "passphrase_short", t("secret.passphrase_short"), "");
  }
  if (again !== undefined && passphrase !== again) {
    throw new ApiError(422, "passphrase_mismatch", t("secret.passphrase_mismatch"), "");
  }
}

async function recoveryPage() {
  if (!requireActor()) return;
  const actor = context.actor;
  if (!actor.address) {
    throw new ApiError(403, "forbidden_role", t("recovery.partners_only"), "");
  }
  const address = actor.address;
  const status = $("#recovery-status");
  const next = nextPage();
  if (next) $("#recovery-next-link").href = next;
  // The secret being shown on the sheet (created here, or the partner's own shown again).
  let onSheet = null;

  const showOnly = (...ids) => {
    for (const id of ["recovery-none", "recovery-held", "recovery-sheet", "recovery-restore"]) {
      $(`#${id}`).hidden = !ids.includes(id);
    }
  };

  const showSheet = (secret, { fresh }) => {
    onSheet = secret;
    const words = secretWords(secret).split(" ");
    fill($("#sheet-words"), words.map((word) => el("li", {}, word)));
    $("#sheet-for").textContent = t("recovery.sheet_for", { name: actor.name, address });
    $("#sheet-secret-id").textContent = secretId(secret);
    fill(
      $("#confirm-words"),
      positions(CONFIRM_COUNT).map((n) =>
        el(
          "div",
          { class: "stack" },
          el("label", { for: `confirm-word-${n}` }, t("recovery.word_n", { n })),
          el("input", {
            id: `confirm-word-${n}`,
            "data-position": String(n),
            autocomplete: "off",
            autocapitalize: "off",
            spellcheck: "false",
          }),
        ),
      ),
    );
    $("#custody-opt-in").checked = !fresh && heldByService;
    showOnly("recovery-sheet");
    $("#recovery-sheet").scrollIntoView({ block: "start" });
  };

  let heldByService = false;
  // The service keeps proof secrets only for partners whose signing key it holds; a partner
  // that signs for itself keeps its secret itself and is not offered the copy.
  let custodialPartner = false;
  const render = async () => {
    const state = await secretState(address);
    heldByService = state.state === "custodial" || Boolean(await custodialSecret(address).catch(() => null));
    custodialPartner = Boolean((await get(paths.partner(address)).catch(() => ({}))).custodial);
    $("#custody-opt-in-box").hidden = !(custodialPartner || heldByService);
    if (state.state === "none") {
      showOnly("recovery-none");
      return;
    }
    showOnly("recovery-held");
    const sealed = sealedSecret(address);
    const id = state.secret ? secretId(state.secret) : sealed.secretId;
    $("#held-secret-id").textContent = id;
    $("#held-where").textContent = [
      sealed ? t("recovery.where_browser") : null,
      heldByService ? t("recovery.where_service") : null,
    ]
      .filter(Boolean)
      .join(" ");
    $("#held-sheet").textContent = sheetWritten(id) ? t("recovery.sheet_written") : t("recovery.sheet_not_written");
    const ready = Boolean(state.secret);
    $("#unlock-form").hidden = ready;
    $("#held-actions").hidden = !ready;
    $("#download-key-file").hidden = !sealed;
    $("#lock-secret").hidden = !(state.state === "unlocked" && sealed);
    $("#custody-actions").hidden = !ready;
    $("#custody-help").textContent = heldByService
      ? t("recovery.custody_on_help")
      : custodialPartner
        ? t("recovery.custody_off_help")
        : t("recovery.custody_self");
    $("#custody-toggle").hidden = !(heldByService || custodialPartner);
    $("#custody-toggle").textContent = heldByService ? t("recovery.custody_stop") : t("recovery.custody_start");
    $("#recovery-next").hidden = !(ready && next);
  };

  $("#start-create").addEventListener("click", () => showSheet(newProofSecret(), { fresh: true }));
  $("#start-restore").addEventListener("click", () => {
    showOnly("recovery-restore");
    $("#restore-words").focus();
  });
  $("#print-sheet").addEventListener("click", () => window.print());

  $("#unlock-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#unlock-submit"), async () => {
      status.textContent = t("recovery.unlocking");
      try {
        await unlockSecret(address, $("#unlock-passphrase").value);
      } catch (error) {
        status.textContent = "";
        throw secretProblem(error);
      }
      $("#unlock-passphrase").value = "";
      status.textContent = t("recovery.unlocked");
      await render();
    });
  });

  const currentSecret = async () => (await secretState(address)).secret;
  $("#show-sheet").addEventListener("click", async () => showSheet(await currentSecret(), { fresh: false }));
  $("#lock-secret").addEventListener("click", async () => {
    lockSecret(address);
    status.textContent = t("recovery.locked");
    await render();
  });
  $("#download-key-file").addEventListener("click", () => {
    const sealed = sealedSecret(address);
    if (!sealed) return;
    download(new Blob([sealed.text], { type: "application/json" }), `proof-secret-${sealed.secretId.slice(2)}.json`);
  });

  const setCustody = async (secret, keep) => {
    if (keep) {
      await request("PUT", paths.proofSecret(address), { body: { secret: toHex(secret) } });
    } else {
      await request("DELETE", paths.proofSecret(address));
    }
  };
  $("#custody-toggle").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      const secret = await currentSecret();
      if (heldByService && !sealedSecret(address)) {
        // The service's copy is the only one here: keep it in this browser first.
        showSheet(secret, { fresh: false });
        $("#custody-opt-in").checked = false;
        return;
      }
      await setCustody(secret, !heldByService);
      status.textContent = heldByService ? t("recovery.custody_stopped") : t("recovery.custody_started");
      await render();
    }),
  );

  $("#confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#confirm-submit"), async () => {
      const words = secretWords(onSheet).split(" ");
      for (const input of $("#confirm-words").querySelectorAll("input")) {
        const n = Number(input.dataset.position);
        if (input.value.trim().toLowerCase() !== words[n - 1]) {
          input.focus();
          throw new ApiError(422, "word_mismatch", t("secret.word_mismatch", { n }), "");
        }
      }
      const passphrase = $("#new-passphrase").value;
      checkPassphrase(passphrase, $("#new-passphrase-again").value);
      status.textContent = t("recovery.sealing");
      await keepSecret(address, onSheet, passphrase);
      markSheetWritten(secretId(onSheet));
      const wantCustody = !$("#custody-opt-in-box").hidden && $("#custody-opt-in").checked;
      if (wantCustody !== heldByService) await setCustody(onSheet, wantCustody);
      $("#new-passphrase").value = "";
      $("#new-passphrase-again").value = "";
      status.textContent = t("recovery.kept");
      await render();
    });
  });

  $("#restore-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#restore-submit"), async () => {
      const passphrase = $("#restore-passphrase").value;
      checkPassphrase(passphrase);
      const keyFile = $("#restore-key-file").files[0];
      let secret;
      try {
        secret = keyFile
          ? await unsealSecret(await keyFile.text(), passphrase)
          : secretFromWords($("#restore-words").value);
      } catch (error) {
        throw secretProblem(error);
      }
      status.textContent = t("recovery.sealing");
      await keepSecret(address, secret, passphrase);
      markSheetWritten(secretId(secret));
      $("#restore-words").value = "";
      $("#restore-passphrase").value = "";
      status.textContent = t("recovery.restored", { id: secretId(secret) });
      await render();
    });
  });

  try {
    await render();
  } catch (error) {
    showError(error);
  }
}

runPage(recoveryPage);
