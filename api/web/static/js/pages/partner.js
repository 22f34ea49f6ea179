// Switch partner: choose whose key the pages use (a demo person in a sandbox, or a key
// typed in, checked with the service before it is used). The key stays in this tab (api.js).

import { ApiError, setActor, whoIs } from "../api.js";
import { context, nameOf, personName, renderActingAs } from "../context.js";
import { $, busy, el, fill, focusResult } from "../dom.js";
import { t, tr } from "../i18n.js";
import { runPage } from "../page.js";

function partnerPage() {
  const status = $("#partner-status");
  const choose = (actor) => {
    setActor(actor);
    context.actor = actor;
    renderActingAs();
    status.textContent = t("partner.now_acting", { name: personName(actor) });
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
                  apiKey: person.apiKey,
                  instance: context.demo.instance,
                }),
            },
            el("span", { class: "person-name" }, personName(person)),
            el("span", { class: "person-role" }, tr("role", person.role)),
          ),
          el("p", { class: "muted" }, person.kind ? tr("kind", person.kind) : t(`role_help.${person.role}`)),
        );
      }),
    );
  };
  renderPeople();
  const form = $("#manual-key-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("#manual-key").value.trim();
    if (!key) return;
    // A key is checked when it is entered (GET /v1/me), not at the first action it fails.
    busy(form.querySelector("button[type=submit]"), async () => {
      status.textContent = t("partner.checking_key");
      let me;
      try {
        me = await whoIs(key);
      } catch (error) {
        status.textContent = "";
        if (error instanceof ApiError && error.status === 401) {
          // Made up, mistyped or revoked: said now, and the partner acted as stays the same.
          throw new ApiError(401, error.code, t("partner.key_refused"), error.detail);
        }
        throw error;
      }
      choose({
        label: "manual",
        name: me.partner ? nameOf(me.partner) : me.label,
        role: me.role,
        address: me.partner,
        apiKey: key,
        keyId: me.keyId,
        instance: context.demo ? context.demo.instance : null,
      });
      $("#manual-key").value = "";
      focusResult(status);
    });
  });
}

runPage(partnerPage);
