// Switch partner: choose whose key the pages use (a demo person in a sandbox, or a key
// typed in). The key stays in this tab (api.js).

import { setActor } from "../api.js";
import { context, renderActingAs } from "../context.js";
import { $, el, fill } from "../dom.js";
import { t, tr } from "../i18n.js";
import { runPage } from "../page.js";

function partnerPage() {
  const status = $("#partner-status");
  const choose = (actor) => {
    setActor(actor);
    context.actor = actor;
    renderActingAs();
    status.textContent = t("partner.now_acting", { name: actor.name });
    renderPeople();
  };
  const renderPeople = () => {
    const list = $("#people");
    if (!list || !context.demo) return;
    fill(
      list,
      context.demo.people.map((person) => {
        const chosen = context.actor && context.actor.label === person.label;
        return el(
          "li",
          { class: "person" },
          el(
            "button",
            {
              type: "button",
              class: `button person-button${chosen ? " chosen" : ""}`,
              "aria-pressed": chosen ? "true" : "false",
              "data-label": person.label,
              onclick: () =>
                choose({
                  label: person.label,
                  name: person.name,
                  role: person.role,
                  address: person.address,
                  apiKey: person.api_key,
                  instance: context.demo.instance,
                }),
            },
            el("span", { class: "person-name" }, person.name),
            el("span", { class: "person-role" }, tr("role", person.role)),
          ),
          el("p", { class: "muted" }, person.kind ? tr("kind", person.kind) : t(`role_help.${person.role}`)),
        );
      }),
    );
  };
  renderPeople();
  $("#manual-key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("#manual-key").value.trim();
    if (!key) return;
    choose({ label: "manual", name: t("partner.manual_name"), role: "partner", address: null, apiKey: key });
    $("#manual-key").value = "";
  });
}

runPage(partnerPage);
