// How a page starts. Each page module (pages/<name>.js, loaded by its template through
// base.html) ends with `runPage(render)`: the shared context is loaded first (demo, the
// partner acted as, the header line), then `render` fills the page; an error it throws is
// shown in plain words. `body[data-ready]` tells the browser tests the page has its data.

import { loadContext } from "./context.js";
import { showError } from "./dom.js";

export async function runPage(render) {
  await loadContext();
  try {
    await render();
  } catch (error) {
    showError(error);
  }
  document.body.dataset.ready = "true";
}
