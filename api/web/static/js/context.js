// What every page shares: the sandbox's demo (names for addresses), the partner the pages act
// as (chosen on the partner page, kept by api.js), the project, and the "acting as" line in the
// header. A contribution's title comes from its card (records.js), as the API reads it.

import { ApiError, clearActor, currentActor, get, paths } from "./api.js";
import { $, el, fill, short, showError } from "./dom.js";
import { formatNumber, t, tr } from "./i18n.js";
import { clearOpenings, keptOpenings, unbackedOpenings } from "./proofkeys.js";
import { cardTitle, validCard } from "./records.js";

export const isSandbox = document.body.dataset.sandbox === "true";

export const context = {
  demo: null,
  actor: null,
  projectId: null,
  names: new Map(),
  titles: new Map(),
};

export async function loadContext() {
  if (isSandbox) {
    try {
      context.demo = await get(paths.demo);
    } catch (error) {
      showError(error);
    }
  }
  const demo = context.demo;
  let actor = currentActor();
  // A reset issues new keys: a key remembered from before it is void.
  if (actor && demo && actor.instance && actor.instance !== demo.instance) {
    clearActor();
    clearOpenings();
    actor = null;
  }
  context.actor = actor;
  if (demo) {
    context.projectId = demo.projectId;
    for (const person of demo.people) {
      if (person.address) context.names.set(person.address.toLowerCase(), person.name);
    }
  }
  for (const [cid, opening] of Object.entries(keptOpenings())) {
    if (opening.fileName && !context.titles.has(cid)) context.titles.set(cid, opening.fileName);
  }
  renderActingAs();
  renderBackupWarning();
}

/** On every page: a warning while this browser holds openings that exist nowhere else (never
 * exported, and not re-derivable from a recovery sheet that was written down). */
export function renderBackupWarning() {
  const target = $("#backup-warning");
  if (!target) return;
  const count = unbackedOpenings().length;
  target.hidden = count === 0 || document.body.dataset.page === "openings";
  if (count) {
    fill(
      target,
      t("openings.unbacked_banner", { count: formatNumber(count) }),
      " ",
      el("a", { href: "/openings" }, t("openings.unbacked_link")),
    );
  }
}

let chainInfo = null;

/** The chain and ledger this service writes to ({chainId, ledger}), what salts derive from. */
export async function chain() {
  if (!chainInfo) {
    const info = await get(paths.chain);
    chainInfo = { chainId: info.chainId, ledger: info.contracts.PocLedger };
  }
  return chainInfo;
}

export function nameOf(address) {
  if (!address) return "";
  return context.names.get(address.toLowerCase()) || short(address);
}

/** How to call someone the pages can act as: a partner by its name (its own words, any
 * language), a key that acts for no partner (the IP counsel's, the administrator's) by
 * its role, in the page's language. */
export function personName(person) {
  if (!person) return "";
  if (person.address) return context.names.get(person.address.toLowerCase()) || person.name || short(person.address);
  return t(`role_person.${person.role}`);
}

/** Remember the card titles of `contributions` (as the API listed them), for the places that
 * name a contribution by its id alone (an access request, a disclosure). */
export function learnTitles(contributions) {
  for (const c of contributions) {
    if (validCard(c)) context.titles.set(c.contributionId.toLowerCase(), cardTitle(c));
  }
}

/** A contribution's title: its card's (the one its contributor signed); without a card, the
 * file name this browser registered it with, else a short id. */
export function titleOf(contribution) {
  if (validCard(contribution)) return cardTitle(contribution);
  const cid = contribution.contributionId.toLowerCase();
  return context.titles.get(cid) || t("contribution.untitled", { id: short(cid) });
}

export function renderActingAs() {
  const target = $("#acting-as");
  const actor = context.actor;
  if (!actor) {
    fill(target, t("partner.none_chosen"), " ", el("a", { href: "/partner" }, t("partner.choose_link")));
    return;
  }
  fill(
    target,
    t("partner.acting_as"),
    " ",
    el("strong", {}, personName(actor)),
    ` (${tr("role", actor.role)}) `,
    el("a", { href: "/partner" }, t("partner.switch_link")),
  );
}

/** Pages that need a key show a pointer to the partner page instead of failing. */
export function requireActor() {
  if (context.actor) return true;
  for (const node of document.querySelectorAll(".needs-key")) node.hidden = false;
  return false;
}

export async function projectId() {
  if (context.projectId) return context.projectId;
  const page = await get(paths.projects);
  if (!page.items.length) throw new ApiError(404, "project_not_found", t("error.project_not_found"));
  context.projectId = page.items[0].projectId;
  return context.projectId;
}

export async function currentPolicy(pid) {
  const versions = await get(paths.policies(pid));
  return versions[versions.length - 1];
}
