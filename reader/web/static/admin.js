// The editors' page: talks to the editor API with the token kept in this tab's sessionStorage.
// Everything from the server is put in the page as text (textContent), never as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "reader.editorToken";
  const JOB_WAIT_SECONDS = 2;

  const STATES = {
    fresh: "Opdateret",
    stale: "Forældet",
    missing: "Ikke lavet",
    degraded: "Reservestemme",
    generating: "Laves nu",
    failed: "Fejlede",
  };

  const $ = (id) => document.getElementById(id);
  const dateFormat = new Intl.DateTimeFormat("da-DK", { dateStyle: "medium", timeStyle: "short" });

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // --- helpers ---------------------------------------------------------------------------------

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function hidden(text) {
    return el("span", { class: "visually-hidden" }, text);
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "–";
    const seconds = Math.round(ms / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function when(iso) {
    return iso ? dateFormat.format(new Date(iso)) : "–";
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  function path(url) {
    // The API gives absolute addresses (READER_BASE_URL); this page uses its own origin.
    const parsed = new URL(url, window.location.href);
    return parsed.pathname + parsed.search;
  }

  // The words that differ between two versions of a sentence, in <mark>: what is the same at
  // the start and at the end stays plain.
  function marked(before, after) {
    const a = before.split(" ");
    const b = after.split(" ");
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    let end = 0;
    while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
    const part = (words) => {
      const middle = words.slice(start, words.length - end).join(" ");
      return [
        words.slice(0, start).join(" ") + (start && middle ? " " : ""),
        middle ? el("mark", {}, middle) : null,
        (end && middle ? " " : "") + words.slice(words.length - end).join(" "),
      ];
    };
    return [part(a), part(b)];
  }

  function announce(message) {
    $("status").textContent = message;
  }

  function showError(node, message) {
    node.textContent = message;
    node.hidden = !message;
  }

  // --- the API ---------------------------------------------------------------------------------

  async function api(method, url, body) {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
    const options = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.error ? data.error.message : `Fejl ${response.status}`;
      if (response.status === 401) signOut("Nøglen blev ikke godtaget. Log ind igen.");
      throw new ApiError(response.status, message);
    }
    return data;
  }

  // --- signing in ------------------------------------------------------------------------------

  async function signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    const me = await api("GET", "/api/whoami");
    $("who").textContent = me.label;
    $("log-ind").hidden = true;
    $("editor").hidden = false;
    await Promise.all([loadPages(), loadSitePages(), loadLexicon(), loadAudit()]);
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("editor").hidden = true;
    $("log-ind").hidden = false;
    showError($("token-error"), message || "");
    const input = $("token");
    input.value = "";
    input.setAttribute("aria-describedby", message ? "token-hint token-error" : "token-hint");
    input.focus();
  }

  // --- pages -----------------------------------------------------------------------------------

  async function loadPages() {
    const rows = await api("GET", "/api/status");
    const body = $("pages-table").tBodies[0];
    body.replaceChildren(...rows.map(pageRow));
  }

  function pageRow(row) {
    const state = [el("span", { class: `state state-${row.state}` }, STATES[row.state] || row.state)];
    if (row.to_synthesise && row.state !== "fresh") {
      state.push(el("span", { class: "detail" }, plural(row.to_synthesise, "sætning", "sætninger") + " mangler lyd"));
    }
    if (row.upgrade === "upgrading") state.push(el("span", { class: "detail" }, "Laves igen med hovedstemmen nu"));
    if (row.upgrade === "waiting") state.push(el("span", { class: "detail" }, "Laves igen med hovedstemmen, når den svarer"));
    if (row.error) state.push(el("span", { class: "detail error-text" }, row.error));
    const actions = el(
      "td",
      { class: "actions" },
      el(
        "button",
        { type: "button", class: "secondary", dataset: { action: "script", slug: row.slug }, onclick: () => showScript(row.slug) },
        "Vis manuskript",
        hidden(` for ${row.title}`),
      ),
      el(
        "button",
        { type: "button", dataset: { action: "regenerate", slug: row.slug }, onclick: () => regenerate(row.slug, null, row.title) },
        "Lav ny lyd",
        hidden(` til ${row.title}`),
      ),
    );
    if (row.versions) {
      actions.append(
        el(
          "button",
          { type: "button", class: "secondary", dataset: { action: "rollback", slug: row.slug }, onclick: () => rollback(row.slug, row.title) },
          "Forrige version",
          hidden(` af ${row.title}`),
        ),
      );
    }
    return el(
      "tr",
      { dataset: { slug: row.slug } },
      el("th", { scope: "row" }, el("a", { href: `/pages/${row.slug}` }, row.title)),
      el("td", {}, state),
      el("td", {}, duration(row.duration_ms)),
      el("td", {}, row.engines.length ? row.engines.join(", ") : "–"),
      el("td", {}, when(row.built_at)),
      actions,
    );
  }

  // --- pages read from the site ------------------------------------------------------------------

  async function loadSitePages() {
    const rows = await api("GET", "/api/site/pages");
    $("site-empty").hidden = rows.length > 0;
    $("site-table").tBodies[0].replaceChildren(...rows.map(sitePageRow));
  }

  function sitePageRow(row) {
    const answer = [el("span", {}, row.status ? String(row.status) : "–")];
    if (row.stale) answer.push(el("span", { class: "detail error-text" }, `Forældet kopi: ${row.reason}`));
    return el(
      "tr",
      { dataset: { slug: row.slug } },
      el("th", { scope: "row" }, el("a", { href: `/pages/${row.slug}` }, row.title)),
      el("td", {}, el("a", { href: row.url }, row.url)),
      el("td", {}, when(row.checked_at)),
      el("td", {}, answer),
      el("td", {}, STATES[row.audio] || "–"),
      el(
        "td",
        { class: "actions" },
        el(
          "button",
          { type: "button", dataset: { action: "refetch", slug: row.slug }, onclick: () => refetch(row.slug, row.title) },
          "Hent igen",
          hidden(` ${row.title}`),
        ),
      ),
    );
  }

  async function refetch(slug, title) {
    try {
      const row = await api("POST", `/api/site/pages/${encodeURIComponent(slug)}/refetch`);
      announce(row.stale ? `»${title}« kunne ikke hentes: ${row.reason}` : `»${title}« er hentet igen.`);
      await Promise.all([loadSitePages(), loadPages()]);
    } catch (error) {
      announce(error.message);
    }
  }

  async function rollback(slug, title) {
    const question = `Gå tilbage til den forrige version af »${title}«? Den nuværende gemmes, så du kan fortryde.`;
    if (!window.confirm(question)) return;
    try {
      const done = await api("POST", `/api/pages/${encodeURIComponent(slug)}/rollback`, {});
      announce(`»${done.title}« er sat tilbage til versionen fra ${when(done.restored.saved_at)}.`);
      await Promise.all([loadPages(), loadAudit()]);
      if (done.job) await followJobs([done.job], `Ny lyd til »${done.title}«`);
    } catch (error) {
      announce(`Det lykkedes ikke: ${error.message}`);
    }
  }

  async function showScript(slug) {
    const script = await api("GET", `/api/pages/${encodeURIComponent(slug)}/script`);
    renderScript(script);
    const section = $("manuskript");
    section.hidden = false;
    section.dataset.slug = slug;
    $("manuskript-titel").focus();
  }

  function lixText(readability) {
    if (readability.lix === null) return "Ingen brødtekst at måle.";
    return (
      `LIX ${readability.lix.toLocaleString("da-DK")} (${readability.level}) · ` +
      `${plural(readability.words, "ord", "ord")} · ${plural(readability.sentences, "sætning", "sætninger")}`
    );
  }

  function renderScript(script) {
    $("manuskript-titel").textContent = `Manuskript: ${script.title}`;
    const parts = [
      el(
        "p",
        {},
        "Hver sætning, som den står på siden, og som den bliver sagt. Hele siden: ",
        lixText(script.readability),
        ". LIX under 35 er let at læse og lytte til; over 45 er svært.",
      ),
    ];
    for (const section of script.sections) {
      const long = section.readability.long_sentences.length;
      const rows = section.sentences.map((sentence) =>
        el(
          "tr",
          { class: sentence.heading ? "heading-row" : null, dataset: { sentence: sentence.id } },
          el(
            "td",
            {},
            sentence.text,
            sentence.long ? el("strong", { class: "flag" }, ` Lang sætning: ${sentence.words} ord`) : null,
          ),
          sentence.spoken === sentence.text
            ? el("td", { class: "same" }, sentence.spoken)
            : el("td", {}, marked(sentence.text, sentence.spoken)[1]),
          el("td", {}, sentence.engine ? sentence.engine + (sentence.degraded ? " (reserve)" : "") : el("span", { class: "state state-missing" }, "Mangler lyd")),
        ),
      );
      const headingId = `script-${section.id}`;
      parts.push(
        el(
          "section",
          { class: "script-section", "aria-labelledby": headingId },
          el("h3", { id: headingId }, section.heading),
          el(
            "p",
            { class: "meta" },
            lixText(section.readability),
            long ? ` · ${plural(long, "lang sætning", "lange sætninger")} (over 25 ord) er markeret` : "",
          ),
          el(
            "p",
            {},
            el(
              "button",
              {
                type: "button",
                class: "secondary",
                dataset: { action: "regenerate-section", section: section.id },
                onclick: () => regenerate(script.slug, section.id, section.heading),
              },
              "Lav ny lyd til afsnittet",
              hidden(` »${section.heading}«`),
            ),
          ),
          el(
            "div",
            { class: "table-scroll", role: "region", tabindex: "0", "aria-label": `Sætninger i »${section.heading}«` },
            el(
              "table",
              { class: "script" },
              el("caption", { class: "visually-hidden" }, `Sætninger i afsnittet »${section.heading}«`),
              el(
                "thead",
                {},
                el("tr", {}, el("th", { scope: "col" }, "Som skrevet"), el("th", { scope: "col" }, "Som det siges"), el("th", { scope: "col" }, "Stemme")),
              ),
              el("tbody", {}, rows),
            ),
          ),
        ),
      );
    }
    $("script-body").replaceChildren(...parts);
  }

  // --- jobs ------------------------------------------------------------------------------------

  async function regenerate(slug, section, name) {
    const body = section ? { section } : {};
    try {
      const job = await api("POST", `/api/pages/${encodeURIComponent(slug)}/regenerate`, body);
      await followJobs([job], section ? `Ny lyd til afsnittet »${name}«` : `Ny lyd til »${name}«`);
    } catch (error) {
      announce(`Det lykkedes ikke: ${error.message}`);
    }
  }

  async function regenerateAll() {
    try {
      const job = await api("POST", "/api/regenerate", {});
      await followJobs([job], "Ny lyd til alle forældede sider");
    } catch (error) {
      announce(`Det lykkedes ikke: ${error.message}`);
    }
  }

  const isActive = (job) => job.state === "queued" || job.state === "running";
  let following = [];

  async function cancelJobs() {
    const button = $("job-cancel");
    button.disabled = true;
    try {
      await Promise.all(
        following.filter(isActive).map((job) =>
          api("POST", `/api/jobs/${job.id}/cancel`).catch((error) => {
            if (error.status !== 409) throw error; // over already: nothing left to cancel
          }),
        ),
      );
    } catch (error) {
      button.disabled = false;
      announce(`Jobbet kunne ikke annulleres: ${error.message}`);
    }
  }

  async function followJobs(jobs, label, started = `${label} er sat i gang.`) {
    if (!jobs.length) return;
    const box = $("job");
    const bar = $("job-progress");
    const text = $("job-text");
    const cancel = $("job-cancel");
    box.hidden = false;
    cancel.hidden = false;
    cancel.disabled = false;
    $("job-label").textContent = label;
    announce(started);
    let current = jobs;
    following = current;
    await loadPages();
    while (current.some(isActive)) {
      const total = current.reduce((sum, job) => sum + job.total, 0);
      const done = current.reduce((sum, job) => sum + job.done, 0);
      bar.max = Math.max(total, 1);
      bar.value = done;
      text.textContent = total ? `${done} af ${plural(total, "sætning", "sætninger")}` : "Venter på at komme til …";
      current = await Promise.all(
        current.map((job) =>
          job.state !== "queued" && job.state !== "running"
            ? job
            : api("GET", `/api/jobs/${job.id}?wait=${JOB_WAIT_SECONDS}`),
        ),
      );
      following = current;
    }
    cancel.hidden = true;
    bar.max = 1;
    bar.value = 1;
    const cancelled = current.filter((job) => job.state === "cancelled");
    const failed = current.filter((job) => job.state !== "done" && job.state !== "cancelled");
    const made = current.reduce((sum, job) => sum + job.synthesised, 0);
    const reused = current.reduce((sum, job) => sum + job.reused, 0);
    const summary = failed.length
      ? `${label} fejlede: ${failed.map((job) => job.error).join("; ")} Den gamle lyd spilles stadig.`
      : cancelled.length
        ? `${label} blev annulleret. Den gamle lyd spilles stadig.`
        : `${label} er klar: ${plural(made, "sætning", "sætninger")} indtalt, ${reused} genbrugt.`;
    const total = current.reduce((sum, job) => sum + job.total, 0);
    text.textContent = failed.length
      ? "Fejlede."
      : cancelled.length
        ? "Annulleret."
        : `Færdig: ${plural(total, "sætning", "sætninger")}.`;
    announce(summary);
    const open = $("manuskript").hidden ? null : $("manuskript").dataset.slug;
    await Promise.all([loadPages(), loadAudit(), open ? refreshScript(open) : null]);
  }

  async function refreshScript(slug) {
    renderScript(await api("GET", `/api/pages/${encodeURIComponent(slug)}/script`));
  }

  // --- lexicon ---------------------------------------------------------------------------------

  let pendingChange = null;

  async function loadLexicon() {
    const lexicon = await api("GET", "/api/lexicon");
    const rows = lexicon.entries.map((entry) =>
      el(
        "tr",
        {},
        el("td", { lang: "da" }, entry.written),
        el("td", {}, entry.spoken),
        el("td", {}, entry.line),
        el(
          "td",
          { class: "actions" },
          el("button", { type: "button", class: "secondary", onclick: () => editEntry(entry) }, "Ret", hidden(` »${entry.written}«`)),
          el(
            "button",
            { type: "button", class: "secondary", onclick: () => previewChange({ action: "delete", written: entry.written }) },
            "Slet",
            hidden(` »${entry.written}«`),
          ),
        ),
      ),
    );
    $("lexicon-table").tBodies[0].replaceChildren(...rows);
    const problems = lexicon.problems.map((problem) => el("li", {}, `Linje ${problem.line}: ${problem.message}`));
    $("lexicon-problems").replaceChildren(
      ...(problems.length ? [el("h3", {}, "Linjer, der springes over"), el("ul", {}, problems)] : []),
    );
  }

  function editEntry(entry) {
    $("lexicon-form-title").textContent = `Ret reglen for »${entry.written}«`;
    $("lexicon-original").value = entry.written;
    $("lexicon-written").value = entry.written;
    $("lexicon-spoken").value = entry.spoken;
    $("lexicon-written").focus();
  }

  function resetLexiconForm() {
    $("lexicon-form").reset();
    $("lexicon-original").value = "";
    $("lexicon-form-title").textContent = "Ny regel";
    showError($("lexicon-error"), "");
    $("impact").hidden = true;
    pendingChange = null;
  }

  function formChange() {
    const original = $("lexicon-original").value;
    const change = {
      action: original ? "change" : "add",
      written: $("lexicon-written").value.trim(),
      spoken: $("lexicon-spoken").value.trim(),
    };
    if (original) change.original = original;
    return change;
  }

  async function previewChange(change) {
    showError($("lexicon-error"), "");
    if (change.action !== "delete" && (!change.written || !change.spoken)) {
      showError($("lexicon-error"), "Udfyld både den skrevne form og udtalen.");
      $(change.written ? "lexicon-spoken" : "lexicon-written").focus();
      return;
    }
    let impact;
    try {
      impact = await api("POST", "/api/lexicon/preview", change);
    } catch (error) {
      showError($("lexicon-error"), error.message);
      $("lexicon-written").focus();
      return;
    }
    pendingChange = change;
    renderImpact(impact);
    $("impact").hidden = false;
    $("impact-title").focus();
  }

  function renderImpact(impact) {
    const what = {
      add: `Ny regel: »${impact.change.written}« siges »${impact.change.spoken}«.`,
      change: `Ændret regel: »${impact.change.written}« siges »${impact.change.spoken}«.`,
      delete: `Reglen for »${impact.change.written}« slettes.`,
    }[impact.change.action];
    const reach = impact.sentences
      ? `Ændringen rammer ${plural(impact.sentences, "sætning", "sætninger")} på ${plural(impact.pages.length, "side", "sider")}. ` +
        `${plural(impact.to_synthesise, "nyt lydklip", "nye lydklip")} skal laves.`
      : "Ændringen rammer ingen sætninger på siderne.";
    const parts = [el("p", {}, what, " ", reach)];
    if (impact.preview) {
      parts.push(
        el("p", {}, "Lyt til den første sætning, som den vil blive sagt: ", el("q", {}, impact.preview.spoken)),
        el("audio", { controls: true, preload: "none", src: path(impact.preview.audio_url), "aria-label": "Prøvelytning af den ændrede udtale" }),
      );
    } else if (impact.preview_error) {
      parts.push(el("p", { class: "error-text" }, `Prøvelytningen kunne ikke laves: ${impact.preview_error}`));
    }
    for (const page of impact.pages) {
      const rows = page.sentences.map((sentence) => {
        const [before, after] = marked(sentence.before, sentence.after);
        return el("tr", {}, el("td", {}, sentence.text), el("td", {}, before), el("td", {}, after));
      });
      parts.push(
        el("h4", {}, page.title),
        el(
          "div",
          { class: "table-scroll", role: "region", tabindex: "0", "aria-label": `Ændrede sætninger på »${page.title}«` },
          el(
            "table",
            { class: "impact-table" },
            el("caption", { class: "visually-hidden" }, `Ændrede sætninger på »${page.title}«`),
            el(
              "thead",
              {},
              el("tr", {}, el("th", { scope: "col" }, "Som skrevet"), el("th", { scope: "col" }, "Siges nu"), el("th", { scope: "col" }, "Siges efter ændringen")),
            ),
            el("tbody", {}, rows),
          ),
        ),
      );
    }
    $("impact-body").replaceChildren(...parts);
    $("impact-save").textContent = impact.change.action === "delete" ? "Slet reglen" : "Gem ændringen";
  }

  async function saveChange() {
    const change = pendingChange;
    if (!change) return;
    let saved;
    try {
      if (change.action === "add") {
        saved = await api("POST", "/api/lexicon/entries", { written: change.written, spoken: change.spoken });
      } else if (change.action === "change") {
        saved = await api("PUT", `/api/lexicon/entries/${encodeURIComponent(change.original)}`, {
          written: change.written,
          spoken: change.spoken,
        });
      } else {
        saved = await api("DELETE", `/api/lexicon/entries/${encodeURIComponent(change.written)}`);
      }
    } catch (error) {
      showError($("lexicon-error"), error.message);
      return;
    }
    resetLexiconForm();
    const message =
      `Udtaleleksikonet er gemt. ${plural(saved.sentences, "sætning", "sætninger")} får ny udtale` +
      (saved.jobs.length ? ", og den nye lyd laves nu." : ".");
    announce(message);
    $("lexicon-written").focus();
    await Promise.all([loadLexicon(), loadAudit(), loadPages()]);
    await followJobs(saved.jobs, "Ny lyd efter ændringen i udtaleleksikonet", message).catch((error) =>
      announce(`Den nye lyd kunne ikke følges: ${error.message}`),
    );
  }

  // --- audit -----------------------------------------------------------------------------------

  async function loadAudit() {
    const entries = await api("GET", "/api/audit?limit=50");
    const target = (value) => ({ lexicon: "Udtaleleksikon", "*": "Alle sider" })[value] || value;
    const rows = entries.map((entry) =>
      el(
        "tr",
        {},
        el("td", {}, el("time", { datetime: entry.at }, when(entry.at))),
        el("td", {}, entry.who === "disk" ? "Ændret på disken" : entry.who),
        el("td", {}, target(entry.target)),
        el("td", {}, entry.summary),
      ),
    );
    $("audit-table").tBodies[0].replaceChildren(...rows);
  }

  // --- start -----------------------------------------------------------------------------------

  function start() {
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      if (!token) {
        signOut("Skriv adgangsnøglen.");
        return;
      }
      try {
        await signIn(token);
        $("sider-titel").focus();
      } catch (error) {
        if (error.status !== 401) signOut(error.message);
      }
    });
    $("logout").addEventListener("click", () => signOut(""));
    $("regenerate-all").addEventListener("click", regenerateAll);
    $("job-cancel").addEventListener("click", cancelJobs);
    $("lexicon-form").addEventListener("submit", (event) => {
      event.preventDefault();
      previewChange(formChange());
    });
    $("lexicon-cancel").addEventListener("click", resetLexiconForm);
    $("impact-save").addEventListener("click", saveChange);
    $("impact-cancel").addEventListener("click", () => {
      $("impact").hidden = true;
      pendingChange = null;
      $("lexicon-written").focus();
    });
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) signIn(token).catch(() => {});
  }

  start();
})();
