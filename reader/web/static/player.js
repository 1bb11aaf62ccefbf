/* The "Få siden oplæst" player.
 *
 * It plays a page section by section (a section of a page never read aloud is made first, so
 * sound comes quickly), highlights the sentence being read from the WebVTT cues of each
 * section's <track kind="metadata">, and keeps it in view. The same file runs in the reading
 * view, in the iframe player (/embed/{slug}) and, loaded as /embed.js with data-reader-page, in
 * a Shadow DOM on another site; loaded as /embed.js with no page named, it reads the page it is
 * on and highlights the sentence being read in that page's own text. No framework, no build
 * step, nothing from another origin. In the reading view, where the voice says where its words
 * are (the JSON's per-sentence `words`), the word being read is marked inside the sentence and
 * a click on a word plays from it; the reader can turn that off.
 *
 * Reading tools: a "Lyt" button next to selected text (POST /api/speak), a compact bar that
 * stays in view while playing, Alt+Shift shortcuts, "Fortsæt fra …" per page and content
 * version, and text settings. What it remembers stays in localStorage; nothing is sent. */
(function () {
  "use strict";

  const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
  const SPEED_KEY = "reader.speed";
  const VIEW_KEY = "reader.view";
  const RESUME_KEY = "reader.resume.";
  const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:--[0-9a-f]{10})?$/; // a site page's ends in its hash
  const SVG = "http://www.w3.org/2000/svg";
  const PLAY = "M7 4l13 8-13 8z";
  const PAUSE = "M6 4h4v16H6zm8 0h4v16h-4z";
  const CLOSE = "M5 7l2-2 5 5 5-5 2 2-5 5 5 5-2 2-5-5-5 5-2-2 5-5z";
  const BACK = "M15.4 7.4 14 6l-6 6 6 6 1.4-1.4-4.6-4.6z";
  const ON = "M8.6 16.6 10 18l6-6-6-6-1.4 1.4 4.6 4.6z";
  // Alt+Shift and a letter or an arrow: no single keys (WCAG 2.1.4), nothing screen readers
  // (Insert, Caps Lock, Ctrl+Option) or browsers use; on a Mac, Option stands for Alt.
  const SHORTCUTS = [
    ["KeyP", "P", "Afspil eller sæt på pause", (p) => p.toggle()],
    ["ArrowLeft", "←", "Sætning tilbage", (p) => p.sentenceStep(-1)],
    ["ArrowRight", "→", "Sætning frem", (p) => p.sentenceStep(1)],
    ["ArrowUp", "↑", "Forrige afsnit", (p) => p.step(-1)],
    ["ArrowDown", "↓", "Næste afsnit", (p) => p.step(1)],
    ["KeyG", "G", "Langsommere", (p) => p.nudge(-1)],
    ["KeyH", "H", "Hurtigere", (p) => p.nudge(1)],
    ["KeyF", "F", "Følg sætningen til eller fra", (p) => p.setFollow(!p.follow, true)],
    ["KeyX", "X", "Luk afspilleren", (p) => p.close()],
    ["KeyO", "O", "Lyt til det markerede", (p) => p.speakChosen(true)],
  ];
  // Text settings of the reading view: [key, label, choices [value, label]]; the first is the
  // default. Applied as attributes and properties on <html>, styled in reader.css.
  const VIEW = [
    ["size", "Tekststørrelse", [["100%", "Normal"], ["125%", "Stor"], ["150%", "Større"], ["200%", "Størst"]]],
    ["line", "Linjeafstand", [["1.6", "Normal"], ["1.9", "Større"], ["2.3", "Størst"]]],
    ["letter", "Afstand mellem bogstaver", [["normal", "Normal"], ["0.05em", "Større"], ["0.12em", "Størst"]]],
    ["theme", "Farver", [["", "Som enheden"], ["light", "Lyse"], ["dark", "Mørke"], ["contrast", "Høj kontrast"]]],
    ["ruler", "Læsehjælp", [["", "Ingen"], ["ruler", "Læselineal"], ["mask", "Læsemaske"]]],
  ];
  // A word: a run between white space with a letter or digit in it (as reader.speech.words).
  const RUN = /\S+/gu;
  const WORDLIKE = /[\p{L}\p{N}]/u;
  const BLOCKS = "p, ul, ol, dl, table, address, blockquote, pre, figure, h1, h2, h3, h4, h5, h6";
  const RESTART_AFTER = 1.5; // seconds into a sentence after which "back" restarts it
  const REFRESH_MS = 2000;
  const ARTWORK = "/static/favicon.svg";
  let players = 0;

  function make(doc, tag, attrs, ...children) {
    const node = doc.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else if (value === true) node.setAttribute(name, "");
      else if (value !== false && value != null) node.setAttribute(name, value);
    }
    node.append(...children.filter(Boolean));
    return node;
  }

  function icon(doc, path) {
    const svg = doc.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.append(doc.createElementNS(SVG, "path"));
    svg.firstChild.setAttribute("d", path);
    return svg;
  }

  const pad = (n) => String(n).padStart(2, "0");

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor(s / 60) % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
  }

  function spoken(seconds) {
    const s = Math.max(0, Math.round(seconds || 0));
    const m = Math.floor(s / 60);
    const r = s % 60;
    const parts = [];
    if (m) parts.push(m + (m === 1 ? " minut" : " minutter"));
    if (r || !m) parts.push(r + (r === 1 ? " sekund" : " sekunder"));
    return parts.join(" og ");
  }

  const speedText = (speed) => String(speed).replace(".", ",") + "×";

  function recall(key) {
    try {
      return JSON.parse(localStorage.getItem(key));
    } catch (error) {
      return null; // storage may be switched off, or hold something else: defaults are fine
    }
  }

  // Wraps each word of a sentence (a run between white space with a letter or digit in it) in
  // a span numbered from 0, across the sentence's links and other inline elements; a word
  // split by them gets one span per piece, all with its number. Only when the sentence has
  // `count` words, so that the numbers are those of the timings.
  function wrapWords(doc, element, count) {
    const text = element.textContent;
    const runs = [];
    for (const match of text.matchAll(RUN)) {
      if (WORDLIKE.test(match[0])) runs.push([match.index, match.index + match[0].length]);
    }
    if (runs.length !== count) return;
    const walker = doc.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
    let offset = 0;
    for (const node of nodes) {
      const start = offset;
      const end = start + node.data.length;
      offset = end;
      // From the last piece in the node to the first, so earlier offsets stay true.
      for (let index = runs.length - 1; index >= 0; index--) {
        const from = Math.max(runs[index][0], start);
        const to = Math.min(runs[index][1], end);
        if (from >= to) continue;
        const range = doc.createRange();
        range.setStart(node, from - start);
        range.setEnd(node, to - start);
        const span = doc.createElement("span");
        span.className = "rp-word";
        span.setAttribute("data-word", String(index));
        range.surroundContents(span);
      }
    }
    element.setAttribute("data-words", String(count));
  }

  function keep(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      // not remembered, still used
    }
  }

  function storedSpeed() {
    const speed = recall(SPEED_KEY);
    return SPEEDS.includes(speed) ? speed : 1;
  }

  // A page's content version: its sentence ids, which change with the sentences' text.
  function version(ids) {
    let hash = 5381;
    for (const char of ids.join(" ")) hash = (hash * 33 + char.charCodeAt(0)) >>> 0;
    return hash.toString(36);
  }

  class Player {
    constructor(root, options) {
      this.root = root;
      this.doc = root.ownerDocument;
      this.win = this.doc.defaultView;
      this.slug = options.slug;
      this.base = options.base || "";
      this.text = options.text || null; // where the page's sentences are, if anywhere
      this.frame = Boolean(options.frame);
      this.onSentence = options.onSentence || null; // the host page's own text, if marked
      this.api = this.base + "/api/pages/" + this.slug;
      this.sections = [];
      this.where = new Map(); // sentence id → section index
      this.texts = new Map(); // sentence id → sentence
      this.current = 0;
      this.started = false;
      this.stopAfter = false;
      this.speed = storedSpeed();
      this.sentence = null;
      this.pending = null;
      this.prefix = "rp" + ++players + "-";
      this.view = Object.assign({}, recall(VIEW_KEY));
      // Following the sentence is the reader's choice; with reduced motion it starts off.
      const still = this.win.matchMedia("(prefers-reduced-motion: reduce)").matches;
      this.follow = typeof this.view.follow === "boolean" ? this.view.follow : !still;
      this.marking = this.view.words !== false; // the word being read is marked unless turned off
      this.word = null; // the marked word: { element, index, spans }
      this.render();
      this.loaded = this.load();
      this.loaded.catch(() => {}); // reported when the reader presses play
    }

    // The page's sections, sentences and (when made) durations and timings.
    async load() {
      const response = await fetch(this.api, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      this.absorb(await response.json());
    }

    // Section records keep their identity across reloads: their audio elements refer to them.
    absorb(doc) {
      const audio = new Map(doc.audio.sections.map((track) => [track.id, track]));
      const known = new Map(this.sections.map((section) => [section.id, section]));
      this.title = doc.title;
      this.order = [];
      this.sections = doc.sections.map((section, index) => {
        const track = audio.get(section.id) || {};
        const entry = known.get(section.id) || { id: section.id, duration: null, audio: null };
        for (const sentence of section.sentences) {
          this.where.set(sentence.id, index);
          this.texts.set(sentence.id, sentence.text);
          this.order.push(sentence.id);
        }
        entry.heading = section.heading;
        entry.first = section.sentences.length ? section.sentences[0].id : null;
        if (track.duration_ms && !entry.measured) entry.duration = track.duration_ms / 1000;
        entry.cues = (track.timings || []).map((cue) => ({
          id: cue.id,
          start: cue.start_ms / 1000,
        }));
        // Where each written word is heard, in this section's track (none from gTTS).
        entry.words = new Map(
          (track.timings || [])
            .filter((cue) => cue.word_timings && cue.words && cue.words.length)
            .map((cue) => [
              cue.id,
              cue.words.map((w) => ({ start: w.start_ms / 1000, end: w.end_ms / 1000 })),
            ]),
        );
        return entry;
      });
      if (this.text) this.markWords();
      this.version = version(this.order);
      this.times();
      this.showSection();
      if (!this.offered) this.offer();
    }

    // "Fortsæt fra …": where this page was left, or the nearest sentence that still exists.
    offer() {
      this.offered = true;
      const saved = recall(RESUME_KEY + this.slug);
      if (!saved || !saved.sentence || this.started) return;
      const near = saved.version === this.version ? [] : saved.near || [];
      const found = [saved.sentence, ...near].find((id) => this.where.has(id));
      if (!found || found === this.order[0]) return;
      this.resumeAt = found;
      this.resume.lastChild.textContent =
        "Fortsæt fra " + this.sections[this.where.get(found)].heading;
      this.resume.hidden = false;
    }

    remember(sentenceId) {
      const at = this.order.indexOf(sentenceId);
      if (at < 0) return;
      const near = [];
      for (let d = 1; d <= 12; d += 1) near.push(this.order[at - d], this.order[at + d]);
      keep(RESUME_KEY + this.slug, {
        version: this.version,
        sentence: sentenceId,
        near: near.filter(Boolean),
      });
    }

    // Sections made after the page was loaded (the rest of a page made behind its first
    // section): their durations are asked for again every few seconds until all are known.
    refresh() {
      if (this.refreshing || this.complete()) return;
      this.refreshing = fetch(this.api)
        .then((response) => (response.ok ? response.json() : null))
        .then((doc) => doc && this.absorb(doc))
        .catch(() => {})
        .finally(() => {
          this.refreshing = null;
          if (this.started && !this.complete()) {
            clearTimeout(this.refreshTimer);
            this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_MS);
          }
        });
    }

    render() {
      const d = this.doc;
      const id = (name) => this.prefix + name;
      const root = this.root;
      let title = root.querySelector(".rp-title");
      if (!title) title = make(d, "p", { class: "rp-title", text: "Oplæsning af sidens tekst" });
      if (!title.id) title.id = id("titel");
      root.setAttribute("role", "region");
      root.setAttribute("aria-labelledby", title.id);
      root.classList.add("rp-ready");

      this.mainIcon = icon(d, PLAY);
      this.mainText = make(d, "span", { text: "Få siden oplæst" });
      const mainAttrs = { type: "button", class: "rp-main" };
      this.main = make(d, "button", mainAttrs, this.mainIcon, this.mainText);
      this.main.setAttribute("aria-keyshortcuts", "Alt+Shift+P");
      this.main.addEventListener("click", () => this.toggle());
      this.resume = this.button("", () => this.start(null, false, this.resumeAt), "rp-resume");
      this.resume.append(icon(d, PLAY), make(d, "span"));
      this.resume.hidden = true;

      this.now = make(d, "p", { class: "rp-now" });
      this.caption = make(d, "p", { class: "rp-caption", hidden: Boolean(this.text) });
      this.elapsed = make(d, "span", { class: "rp-time", text: "0:00" });
      this.total = make(d, "span", { class: "rp-time", text: "–:––" });
      const rangeAttrs = { type: "range", id: id("tid"), min: 0, max: 0, step: 1, value: 0 };
      this.range = make(d, "input", rangeAttrs);
      this.range.addEventListener("input", () => this.seek(Number(this.range.value)));
      this.select = make(
        d,
        "select",
        { id: id("fart") },
        ...SPEEDS.map((speed) => make(d, "option", { value: speed, text: speedText(speed) })),
      );
      this.select.value = String(this.speed);
      this.select.addEventListener("change", () => this.setSpeed(Number(this.select.value)));
      this.pageLink = make(d, "a", {
        class: "rp-link",
        href: this.api + "/audio",
        download: this.slug + ".mp3",
        text: "Hent siden (MP3)",
      });
      this.sectionLink = make(d, "a", { class: "rp-link", text: "Hent afsnittet (MP3)" });
      this.panel = make(
        d,
        "div",
        { class: "rp-panel", hidden: !this.frame },
        this.now,
        this.caption,
        make(
          d,
          "div",
          { class: "rp-progress" },
          make(d, "label", { for: id("tid"), class: "rp-sr", text: "Tidspunkt i oplæsningen" }),
          this.elapsed,
          this.range,
          this.total,
        ),
        make(
          d,
          "div",
          { class: "rp-nav" },
          this.button("Forrige afsnit", () => this.step(-1), "rp-back"),
          this.button("Sætning tilbage", () => this.sentenceStep(-1), "rp-back"),
          this.button("Sætning frem", () => this.sentenceStep(1), "rp-on"),
          this.button("Næste afsnit", () => this.step(1), "rp-on"),
        ),
        make(
          d,
          "div",
          { class: "rp-more" },
          make(
            d,
            "p",
            { class: "rp-speed" },
            make(d, "label", { for: id("fart"), text: "Hastighed" }),
            this.select,
          ),
          (this.followers = [this.toggler("Følg sætningen", "rp-follow")])[0],
          (this.wordToggle = this.text
            ? this.button("Fremhæv ordet", () => this.setMarking(!this.marking), "rp-words")
            : null),
          this.pageLink,
          this.sectionLink,
        ),
        this.disclose("Tastaturgenveje", this.shortcutHelp()),
        this.text
          ? make(d, "p", {
              class: "rp-help",
              text:
                "Klik på en sætning for at høre den. " +
                "Med tastaturet: gå til sætningen med Tab, og tryk Enter.",
            })
          : null,
      );
      this.live = make(d, "p", { class: "rp-sr", role: "status" });
      this.holder = make(d, "div", { hidden: true });
      if (!this.frame) {
        this.closer = this.button("Luk", () => this.close(), "rp-close");
        this.closer.setAttribute("aria-label", "Luk afspilleren");
        this.closer.prepend(icon(d, CLOSE));
        this.closer.hidden = true;
      }
      this.bar = make(d, "div", { class: "rp-bar" }, this.main, this.resume, title, this.closer);
      root.prepend(this.bar);
      root.append(this.panel);
      if (this.text) root.append(this.disclose("Tekst og farver", this.viewForm()));
      root.append(this.live, this.holder);
      if (!this.frame) this.dock();
      this.showFollow();
      this.showSection();
      if (this.text) this.watchText();
      this.watchSelection();
      this.doc.addEventListener("keydown", (event) => this.shortcut(event));
    }

    // A button that shows and hides what follows it.
    disclose(label, content) {
      const box = make(this.doc, "div", { class: "rp-more-box" });
      content.hidden = true;
      content.id = this.prefix + label.replace(/\W+/g, "-");
      const button = this.button(label, () => {
        content.hidden = !content.hidden;
        button.setAttribute("aria-expanded", String(!content.hidden));
      }, "rp-disclose");
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", content.id);
      box.append(button, content);
      return box;
    }

    toggler(label, kind) {
      const button = this.button(label, () => this.setFollow(!this.follow, true), kind);
      button.setAttribute("aria-keyshortcuts", "Alt+Shift+F");
      return button;
    }

    shortcutHelp() {
      const d = this.doc;
      return make(
        d,
        "div",
        { class: "rp-keys" },
        make(d, "p", {
          text: "Genvejene virker overalt på siden. På en Mac bruges Option i stedet for Alt.",
        }),
        make(
          d,
          "dl",
          {},
          ...SHORTCUTS.flatMap(([, key, label]) => [
            make(d, "dt", {}, make(d, "kbd", { text: "Alt+Shift+" + key })),
            make(d, "dd", { text: label }),
          ]),
        ),
      );
    }

    // The compact bar: fixed at the bottom of the window while the player is out of sight.
    dock() {
      const d = this.doc;
      const small = (label, path, action, kind) => {
        const button = this.button("", action, kind);
        button.setAttribute("aria-label", label);
        button.append(icon(d, path));
        return button;
      };
      this.dockMain = small("Afspil", PLAY, () => this.toggle(), "rp-icon");
      this.dockMain.setAttribute("aria-keyshortcuts", "Alt+Shift+P");
      this.dockSpeed = this.select.cloneNode(true);
      this.dockSpeed.id = this.prefix + "fart2";
      this.dockSpeed.value = String(this.speed);
      this.dockSpeed.addEventListener("change", () => this.setSpeed(Number(this.dockSpeed.value)));
      const follow = this.toggler("Følg", "rp-follow");
      follow.setAttribute("aria-label", "Følg sætningen");
      this.followers.push(follow);
      this.docked = make(
        d,
        "div",
        { class: "rp-dock", role: "group", "aria-label": "Afspilleren i kort form", hidden: true },
        this.dockMain,
        small("Sætning tilbage", BACK, () => this.sentenceStep(-1), "rp-icon"),
        small("Sætning frem", ON, () => this.sentenceStep(1), "rp-icon"),
        make(d, "label", { for: this.dockSpeed.id, class: "rp-sr", text: "Fart" }),
        this.dockSpeed,
        follow,
        this.button("Hele afspilleren", () => this.unfold(), "rp-unfold"),
        small("Luk afspilleren", CLOSE, () => this.close(), "rp-icon"),
      );
      this.root.append(this.docked);
      const watch = new this.win.IntersectionObserver(([entry]) => {
        this.away = !entry.isIntersecting;
        this.place();
      });
      watch.observe(this.bar);
      // WCAG 2.4.11: what gets focus is never hidden behind the bar.
      d.addEventListener("focusin", () => this.uncover());
      this.win.addEventListener("resize", () => this.place());
    }

    place() {
      if (!this.docked) return;
      const show = Boolean(this.away && this.open);
      const style = this.doc.documentElement.style;
      this.docked.hidden = !show;
      const height = show ? this.docked.offsetHeight : 0;
      style.scrollPaddingBottom = height ? height + 8 + "px" : "";
      this.doc.body.style.paddingBottom = height ? height + "px" : "";
      if (show) this.uncover();
    }

    // The height of the window left above the compact bar.
    room() {
      return this.docked && !this.docked.hidden
        ? this.docked.getBoundingClientRect().top
        : this.win.innerHeight;
    }

    uncover() {
      let focus = this.doc.activeElement;
      while (focus && focus.shadowRoot && focus.shadowRoot.activeElement) {
        focus = focus.shadowRoot.activeElement;
      }
      if (this.docked.hidden || !focus || this.docked.contains(focus)) return;
      const box = focus.getBoundingClientRect();
      const over = box.bottom - this.room();
      // Something taller than the window (main itself, on a click) is left alone.
      if (over > 0 && box.height < this.room()) this.win.scrollBy(0, over + 8);
    }

    // "Hele afspilleren": back to the full panel, with focus on its first button.
    unfold() {
      this.bar.scrollIntoView({ block: "start" });
      this.main.focus();
    }

    setFollow(follow, said) {
      this.follow = follow;
      this.view.follow = follow;
      keep(VIEW_KEY, this.view);
      this.showFollow();
      if (said) this.say(follow ? "Siden følger sætningen." : "Siden følger ikke sætningen.");
      if (follow && this.sentence && this.sentence.element) this.reveal(this.sentence.element);
    }

    showFollow() {
      for (const button of this.followers) button.setAttribute("aria-pressed", String(this.follow));
      if (this.wordToggle) this.wordToggle.setAttribute("aria-pressed", String(this.marking));
    }

    // Marking the word being read: the reader's choice, remembered like the text settings.
    setMarking(marking) {
      this.marking = marking;
      this.view.words = marking;
      keep(VIEW_KEY, this.view);
      this.showFollow();
      this.say(marking ? "Ordet, der læses, fremhæves." : "Ordet, der læses, fremhæves ikke.");
      if (marking) this.followWords();
      else this.markWord(null);
    }

    // Each word of each sentence with word timings gets a span, so that it can be marked and
    // clicked. The text stays as it was for everything that reads it; a sentence whose words
    // do not match its timings is left alone.
    markWords() {
      for (const section of this.sections) {
        for (const [id, words] of section.words) {
          const selector = '[data-sentence-id="' + CSS.escape(id) + '"]';
          const element = this.text.querySelector("main " + selector);
          if (element && !element.hasAttribute("data-words")) {
            wrapWords(this.doc, element, words.length);
          }
        }
      }
    }

    // Follows the word being read while the audio plays, frame by frame (timeupdate comes
    // only four times a second, slower than words).
    followWords() {
      if (this.wordFrame || !this.marking || !this.text) return;
      const step = () => {
        this.wordFrame = null;
        const audio = this.audio();
        if (!audio || audio.paused || !this.marking) return;
        this.showWord(audio.currentTime);
        this.wordFrame = this.win.requestAnimationFrame(step);
      };
      this.wordFrame = this.win.requestAnimationFrame(step);
    }

    showWord(seconds) {
      const section = this.sections[this.current];
      const sentence = this.sentence;
      const words = section && sentence && section.words.get(sentence.id);
      if (!words || !sentence.element) return this.markWord(null);
      let at = -1;
      words.forEach((word, index) => {
        if (word.start <= seconds + 0.02) at = index;
      });
      // In a pause after the last word said, nothing is marked.
      if (at >= 0 && seconds > words[at].end + 0.25) at = -1;
      return this.markWord(at >= 0 ? { element: sentence.element, index: at } : null);
    }

    // Only the class changes: nothing is announced, the sentence's own mark stays.
    markWord(word) {
      const before = this.word;
      if (before && word && before.element === word.element && before.index === word.index) return;
      if (before) for (const span of before.spans) span.classList.remove("rp-word-now");
      this.word = null;
      if (!word) return;
      const spans = Array.from(word.element.querySelectorAll('[data-word="' + word.index + '"]'));
      for (const span of spans) span.classList.add("rp-word-now");
      this.word = { element: word.element, index: word.index, spans };
    }

    // Activating a word in the text: reading goes on from that word.
    hearWord(sentenceId, index) {
      const section = this.where.get(sentenceId);
      const words = section == null ? null : this.sections[section].words.get(sentenceId);
      if (!words || !words[index]) return this.hear(sentenceId);
      this.stopAfter = false;
      this.pending = null;
      this.go(section, words[index].start, true);
      return this.highlight(sentenceId);
    }

    nudge(delta) {
      const speed = SPEEDS[SPEEDS.indexOf(this.speed) + delta];
      if (!speed) return;
      this.setSpeed(speed);
      this.say("Hastighed " + speedText(speed));
    }

    // Alt+Shift+key anywhere on the page; not while typing in a text field.
    shortcut(event) {
      if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
      const target = event.composedPath()[0];
      const typing = target.isContentEditable || /^(TEXTAREA|INPUT)$/.test(target.tagName);
      const found = SHORTCUTS.find(([code]) => code === event.code);
      if (!found || (typing && target.type !== "range")) return;
      event.preventDefault();
      if (this.open || "KeyP KeyO".includes(found[0])) found[3](this);
    }

    button(label, action, kind) {
      const button = make(this.doc, "button", { type: "button", class: kind, text: label });
      button.addEventListener("click", action);
      return button;
    }

    // The "Lyt til afsnittet" buttons, and activating a sentence to hear it.
    watchText() {
      for (const button of this.text.querySelectorAll("[data-listen-section]")) {
        button.hidden = false;
      }
      this.text.addEventListener("click", (event) => {
        const listen = event.target.closest("[data-listen-section]");
        if (listen) return this.start(listen.getAttribute("data-listen-section"), true);
        const sentence = this.open && event.target.closest("[data-sentence-id]");
        const selected = String(this.win.getSelection && this.win.getSelection()).trim();
        if (sentence && !event.target.closest("a") && !selected) {
          const word = this.marking && event.target.closest("[data-word]");
          const id = sentence.getAttribute("data-sentence-id");
          if (word) this.hearWord(id, Number(word.getAttribute("data-word")));
          else this.hear(id);
        }
      });
      this.text.addEventListener("keydown", (event) => {
        const target = event.target;
        const sentence = target.matches && target.matches("[data-sentence-id][tabindex]");
        if (!this.open || !sentence) return;
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.hear(target.getAttribute("data-sentence-id"));
        }
      });
    }

    // Selected text: a "Lyt" button after the block where the selection ends (so Tab reaches
    // it next), placed by the selection's last line; it reads the selection via /api/speak.
    watchSelection() {
      if (this.frame) return;
      const d = this.doc;
      this.region = this.text ? d.querySelector("main") || d.body : d.body;
      d.addEventListener("selectionchange", () => {
        clearTimeout(this.pickTimer);
        this.pickTimer = setTimeout(() => this.picked(), 200);
      });
    }

    picked() {
      const selection = this.win.getSelection();
      const text = selection && !selection.isCollapsed ? String(selection).trim() : "";
      const range = text && selection.getRangeAt(0);
      const node = range && range.commonAncestorContainer;
      const ours = node && this.root.getRootNode().host;
      const inside = (box) => box && box.contains(node);
      if (!node || !inside(this.region) || inside(this.root) || inside(ours) || inside(this.pick)) {
        if (this.pick && !this.pick.contains(this.pickFocus())) this.unpick();
        return;
      }
      this.chosen = { text, range: range.cloneRange() };
      this.showPick(range);
    }

    pickFocus() {
      const focus = this.doc.activeElement;
      return this.pickRoot && this.pickRoot.activeElement ? this.pickRoot.activeElement : focus;
    }

    makePick() {
      const d = this.doc;
      this.pickButton = this.button("Lyt", () => this.speakChosen(), "rp-lyt");
      this.pickButton.prepend(icon(d, PLAY));
      this.pickButton.setAttribute("aria-label", "Lyt til det markerede");
      this.pickButton.setAttribute("aria-keyshortcuts", "Alt+Shift+O");
      this.pickSaid = make(d, "p", { class: "rp-said", role: "status" });
      const box = make(d, "div", { class: "rp rp-pick", lang: "da" }, this.pickButton, this.pickSaid);
      // Pressing the button must not end the selection it is about to read.
      box.addEventListener("mousedown", (event) => event.preventDefault());
      if (this.text) return box;
      // On another site, its own Shadow DOM, like the player's.
      const host = make(d, "div", { "data-reader-pick": "" });
      this.pickRoot = host.attachShadow({ mode: "open" });
      box.classList.add("rp-light");
      const style = make(d, "link", { rel: "stylesheet", href: this.base + "/static/player.css" });
      this.pickRoot.append(style, box);
      return host;
    }

    showPick(range) {
      if (!this.pick) this.pick = this.makePick();
      const end = this.lastText(range);
      const element = end.nodeType === 1 ? end : end.parentElement;
      // Not between a list's items: after the whole list.
      const item = element.closest("li");
      const block = item ? item.closest("ul, ol") || item : element.closest(BLOCKS);
      const anchor = this.region.contains(block) && block !== this.region ? block : element;
      if (anchor.nextSibling !== this.pick) anchor.after(this.pick);
      this.pick.hidden = false;
      this.pickSaid.textContent = "";
      const lines = Array.from(range.getClientRects()).filter((box) => box.width > 0);
      const line = lines[lines.length - 1] || range.getBoundingClientRect();
      const style = this.pick.style;
      style.position = "absolute";
      style.zIndex = "5";
      // Placed by the window's coordinates, then corrected for whatever box it is placed in.
      for (let pass = 0; pass < 2; pass += 1) {
        const box = this.pick.getBoundingClientRect();
        const width = Math.min(box.width, this.win.innerWidth);
        const left = Math.max(0, Math.min(line.right - width, this.win.innerWidth - width - 4));
        style.left = (parseFloat(style.left) || 0) + left - box.left + "px";
        style.top = (parseFloat(style.top) || 0) + line.bottom + 6 - box.top + "px";
      }
    }

    // The last text with something selected: a triple click ends the range at the next block.
    lastText(range) {
      const walker = this.doc.createTreeWalker(range.commonAncestorContainer, 4);
      let last = range.endContainer;
      for (let node = walker.currentNode; node; node = walker.nextNode()) {
        const empty = node === range.endContainer && range.endOffset === 0;
        if (node.nodeType === 3 && node.data.trim() && range.intersectsNode(node) && !empty) {
          last = node;
        }
      }
      return last;
    }

    unpick() {
      if (this.speaking || !this.pick) return;
      this.pick.hidden = true;
      this.chosen = null;
    }

    pickSay(message) {
      this.pickSaid.textContent = message;
    }

    async speakChosen(focus) {
      const chosen = this.chosen;
      if (this.speaking) return this.stopSpeech();
      if (!chosen) return;
      if (focus) this.pickButton.focus();
      for (const section of this.sections) if (section.audio) section.audio.pause();
      this.speaking = true;
      this.pickButton.lastChild.textContent = "Henter …";
      this.pickSay("Det markerede hentes …");
      let failure = "Det markerede kunne ikke læses op. Prøv igen om lidt.";
      try {
        const response = await fetch(this.base + "/api/speak", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ text: chosen.text }),
        });
        if (!response.ok) {
          // The service says why in Danish: the length limit, or when to try again.
          const answer = await response.json().catch(() => null);
          if (answer && answer.error) failure = answer.error.message;
          throw new Error(failure);
        }
        const blob = await response.blob();
        if (!this.speech) {
          this.speech = make(this.doc, "audio", {});
          this.speech.addEventListener("ended", () => this.stopSpeech("Det markerede er læst op."));
          this.holder.append(this.speech);
        }
        if (this.speech.src) URL.revokeObjectURL(this.speech.src);
        this.speech.src = URL.createObjectURL(blob);
        this.speech.playbackRate = this.speed;
        await this.speech.play();
        this.mark(chosen.range);
        this.pickButton.lastChild.textContent = "Stop";
        this.pickButton.setAttribute("aria-label", "Stop oplæsningen af det markerede");
        this.pickSay("Det markerede læses op.");
      } catch (error) {
        this.stopSpeech(failure);
      }
    }

    stopSpeech(message) {
      if (this.speech) this.speech.pause();
      this.speaking = false;
      this.mark(null);
      this.pickButton.lastChild.textContent = "Lyt";
      this.pickButton.setAttribute("aria-label", "Lyt til det markerede");
      this.pickSay(typeof message === "string" ? message : "Oplæsningen af det markerede er stoppet.");
    }

    // What is being read, highlighted where the browser can (CSS Custom Highlight API).
    mark(range) {
      const marks = this.win.CSS && this.win.CSS.highlights;
      if (!marks) return;
      if (range) marks.set("rp-said", new this.win.Highlight(range));
      else marks.delete("rp-said");
    }

    // Text settings: one native select each, applied at once and remembered.
    viewForm() {
      const d = this.doc;
      const form = make(d, "div", { class: "rp-view" });
      for (const [key, label, choices] of VIEW) {
        const id = this.prefix + key;
        const select = make(
          d,
          "select",
          { id },
          ...choices.map(([value, text]) => make(d, "option", { value, text })),
        );
        select.value = this.view[key] || choices[0][0];
        select.addEventListener("change", () => {
          this.view[key] = select.value;
          keep(VIEW_KEY, this.view);
          this.applyView();
        });
        form.append(make(d, "p", {}, make(d, "label", { for: id, text: label }), select));
      }
      this.ruler = make(d, "div", { class: "rt-ruler", "aria-hidden": "true", hidden: true });
      d.body.append(this.ruler);
      this.applyView();
      this.win.addEventListener("resize", () => this.rule());
      return form;
    }

    applyView() {
      const html = this.doc.documentElement;
      const [size, line, letter] = VIEW.map(([key, , choices]) => this.view[key] || choices[0][0]);
      html.style.fontSize = size === "100%" ? "" : size;
      html.style.setProperty("--line", line);
      html.style.setProperty("--letter", letter);
      for (const key of ["theme", "ruler"]) {
        if (this.view[key]) html.setAttribute("data-" + key, this.view[key]);
        else html.removeAttribute("data-" + key);
      }
      this.rule();
    }

    // The reading ruler (or the clear band of the mask) over the sentence being read.
    rule() {
      const element = this.ruler && this.view.ruler && this.sentence && this.sentence.element;
      if (!this.ruler) return;
      this.ruler.hidden = !element;
      if (!element) return;
      const box = element.getBoundingClientRect();
      const style = this.ruler.style;
      style.top = box.top + this.win.scrollY - 4 + "px";
      style.height = box.height + 8 + "px";
    }

    // Sentences are reachable with Tab only while the player is open.
    setOpen(open) {
      this.open = open;
      if (!this.frame) this.panel.hidden = this.closer.hidden = !open;
      this.place();
      if (!this.text) return;
      for (const sentence of this.text.querySelectorAll("main [data-sentence-id]")) {
        if (open) sentence.setAttribute("tabindex", "0");
        else sentence.removeAttribute("tabindex");
      }
    }

    audio() {
      const section = this.sections[this.current];
      return section ? section.audio : null;
    }

    playing() {
      const audio = this.audio();
      return Boolean(audio && !audio.paused);
    }

    audioFor(index) {
      const section = this.sections[index];
      if (section.audio) return section.audio;
      const d = this.doc;
      const route = this.api + "/sections/" + encodeURIComponent(section.id);
      const audio = make(d, "audio", { preload: "auto" });
      // Another origin's timings load only through CORS, and then the audio must too.
      if (this.base) audio.crossOrigin = "anonymous";
      const timings = route + "/timings.vtt";
      const track = make(d, "track", { kind: "metadata", default: true, src: timings });
      audio.append(track);
      audio.preservesPitch = true;
      audio.defaultPlaybackRate = this.speed;
      audio.playbackRate = this.speed;
      audio.src = route + "/audio";
      this.holder.append(audio);
      track.track.mode = "hidden";
      section.audio = audio;
      section.track = track;

      const mine = () => section.audio === audio && this.audio() === audio;
      audio.addEventListener("timeupdate", () => mine() && this.tick());
      audio.addEventListener("play", () => mine() && this.showState());
      audio.addEventListener("playing", () => mine() && this.followWords());
      audio.addEventListener("seeked", () => {
        if (mine() && this.marking) this.showWord(audio.currentTime);
      });
      audio.addEventListener("pause", () => {
        if (!mine()) return;
        this.busy(false);
        this.showState();
      });
      audio.addEventListener("playing", () => mine() && this.busy(false));
      audio.addEventListener("waiting", () => mine() && this.busy(true));
      audio.addEventListener("ended", () => mine() && this.ended());
      audio.addEventListener("error", () => this.failed(section, audio));
      audio.addEventListener("loadedmetadata", () => {
        // The file's own length is the one to count with; the JSON's is for before it loads.
        if (Number.isFinite(audio.duration)) {
          section.duration = audio.duration;
          section.measured = true;
        }
        this.times();
        this.refresh();
      });
      track.track.addEventListener("cuechange", () => mine() && this.cue(track.track));
      track.addEventListener("load", () => {
        const position = this.sections.indexOf(section);
        const cue = this.pending && this.cues(position).find((item) => item.id === this.pending);
        if (cue && mine()) audio.currentTime = cue.start;
        if (cue) this.pending = null;
      });
      return audio;
    }

    drop(section) {
      const audio = section.audio;
      if (!audio) return;
      section.audio = null;
      section.track = null;
      audio.pause();
      audio.removeAttribute("src");
      audio.remove();
    }

    // The cues of a section: from its WebVTT track once loaded, else from the page's JSON.
    cues(index) {
      const section = this.sections[index];
      const list = section && section.track && section.track.track.cues;
      if (list && list.length) {
        return Array.from(list, (cue) => ({ id: cue.id, start: cue.startTime }));
      }
      return section ? section.cues : [];
    }

    offset(index) {
      let seconds = 0;
      for (let i = 0; i < index; i += 1) seconds += this.sections[i].duration || 0;
      return seconds;
    }

    toggle() {
      if (!this.started) return this.start(null, false);
      if (this.playing()) {
        this.audio().pause();
        this.say("Oplæsningen er sat på pause.");
      } else {
        this.play();
        this.say("Oplæsningen fortsætter.");
      }
    }

    // From the start of the page, of one section only ("Lyt til afsnittet"), or from the
    // sentence where the reader left off ("Fortsæt fra …").
    start(sectionId, only, sentenceId) {
      const begin = () => {
        const index = sectionId == null ? 0 : this.sections.findIndex((s) => s.id === sectionId);
        if (index < 0) return;
        this.wake();
        this.stopAfter = only;
        this.resume.hidden = true;
        this.setOpen(true);
        if (sentenceId) this.hear(sentenceId);
        else this.go(index, 0, true);
        const heading = this.sections[this.current].heading;
        this.say(
          sentenceId
            ? "Oplæsningen fortsætter fra " + heading + "."
            : only
              ? "Afsnittet læses op: " + heading
              : "Siden læses op.",
        );
        // The "Fortsæt fra" button is gone: focus goes to the one that pauses.
        if (sentenceId) this.main.focus();
      };
      if (this.sections.length) return begin();
      this.loaded.then(begin, () => this.broken());
    }

    // Without the page's structure this player cannot work: the browser's own one takes over.
    broken() {
      const d = this.doc;
      const route = this.api + "/audio";
      const title = this.root.getAttribute("aria-labelledby");
      this.main.replaceWith(
        make(
          d,
          "div",
          { class: "rp-fallback" },
          make(d, "audio", {
            controls: true,
            preload: "none",
            src: route,
            "aria-labelledby": title,
          }),
          make(
            d,
            "p",
            {},
            make(d, "a", {
              href: route,
              download: this.slug + ".mp3",
              text: "Hent oplæsningen som MP3",
            }),
          ),
        ),
      );
      this.panel.remove();
      this.say("Afspilleren kunne ikke starte. Brug browserens lydafspiller i stedet.");
    }

    play() {
      const section = this.sections[this.current];
      if (!section) return;
      if (this.speaking) this.stopSpeech();
      const audio = this.audioFor(this.current);
      this.started = true;
      const playing = audio.play();
      if (playing && playing.catch) {
        playing.catch((error) => {
          if (error.name !== "AbortError") this.failed(section, audio);
        });
      }
      if (audio.readyState < 3) this.busy(true);
      this.showState();
    }

    // To a place in a section.
    go(index, seconds, play) {
      const before = this.audio();
      if (index !== this.current && before) {
        before.pause();
        before.currentTime = 0;
      }
      this.current = index;
      const audio = this.audioFor(index);
      audio.currentTime = Math.max(0, seconds);
      const section = this.sections[index];
      if (seconds === 0 && section.first) this.highlight(section.first);
      this.showSection();
      this.times();
      if (play) this.play();
      else this.showState();
      if (index + 1 < this.sections.length) this.audioFor(index + 1);
    }

    // The controls work before the first play too (the iframe player shows them from the start).
    wake() {
      if (this.started || !this.sections.length) return;
      this.started = true;
      this.session();
    }

    step(delta) {
      const index = this.current + delta;
      if (index < 0 || index >= this.sections.length) return;
      this.wake();
      this.stopAfter = false;
      this.go(index, 0, this.playing());
      this.say(this.sectionLabel(index));
    }

    sentenceStep(delta) {
      if (!this.sections.length) return;
      this.wake();
      const audio = this.audioFor(this.current);
      const playing = this.playing();
      const cues = this.cues(this.current);
      const now = audio.currentTime;
      let at = -1;
      cues.forEach((cue, index) => {
        if (cue.start <= now + 0.05) at = index;
      });
      let target = at + delta;
      if (delta < 0 && at >= 0 && now - cues[at].start > RESTART_AFTER) target = at;
      if (target >= 0 && target < cues.length) {
        this.go(this.current, cues[target].start, playing);
        this.highlight(cues[target].id);
      } else if (target < 0 && this.current > 0) {
        const previous = this.cues(this.current - 1);
        const last = previous[previous.length - 1];
        this.go(this.current - 1, last ? last.start : 0, playing);
        if (last) this.highlight(last.id);
      } else if (target < 0) {
        this.go(this.current, 0, playing);
      } else if (this.current + 1 < this.sections.length) {
        this.go(this.current + 1, 0, playing);
      }
    }

    // Activating a sentence in the text: reading goes on from there.
    hear(sentenceId) {
      const index = this.where.get(sentenceId);
      if (index == null) return;
      const cue = this.cues(index).find((item) => item.id === sentenceId);
      this.stopAfter = false;
      this.pending = cue ? null : sentenceId;
      this.go(index, cue ? cue.start : 0, true);
      this.highlight(sentenceId);
    }

    seek(seconds) {
      if (!this.sections.length) return;
      this.wake();
      let index = 0;
      let rest = seconds;
      while (index < this.sections.length - 1) {
        const duration = this.sections[index].duration;
        if (duration == null || rest < duration) break;
        rest -= duration;
        index += 1;
      }
      this.go(index, rest, this.playing());
    }

    setSpeed(speed) {
      this.speed = speed;
      this.select.value = String(speed);
      if (this.dockSpeed) this.dockSpeed.value = String(speed);
      if (this.speech) this.speech.playbackRate = speed;
      for (const section of this.sections) {
        if (section.audio) {
          section.audio.defaultPlaybackRate = speed;
          section.audio.playbackRate = speed;
        }
      }
      keep(SPEED_KEY, speed);
    }

    ended() {
      const next = this.current + 1;
      if (this.stopAfter) {
        this.stopAfter = false;
        this.say("Afsnittet er læst op.");
        if (next < this.sections.length) this.go(next, 0, false);
        else this.finish();
      } else if (next < this.sections.length) {
        this.go(next, 0, true);
      } else {
        this.finish();
      }
    }

    finish() {
      this.started = false;
      keep(RESUME_KEY + this.slug, null); // read to the end: the next visit starts afresh
      this.showState();
      this.say("Oplæsningen er slut.");
    }

    failed(section, audio) {
      if (section.audio !== audio) return;
      const current = this.audio() === audio;
      this.drop(section);
      if (!current) return;
      this.busy(false);
      this.showState();
      this.say("Lyden kunne ikke hentes. Prøv igen om lidt.");
    }

    close() {
      if (!this.open) return;
      for (const section of this.sections) {
        if (section.audio) {
          section.audio.pause();
          section.audio.currentTime = 0;
        }
      }
      this.started = false;
      this.stopAfter = false;
      this.current = 0;
      this.highlight(null);
      this.setOpen(false);
      this.showState();
      this.showSection();
      this.main.focus();
      this.say("Afspilleren er lukket.");
    }

    cue(track) {
      const active = track.activeCues;
      if (!active || !active.length) return; // a pause between sentences keeps the last one
      let latest = active[0];
      for (const cue of Array.from(active)) if (cue.startTime >= latest.startTime) latest = cue;
      this.highlight(latest.id);
    }

    highlight(sentenceId) {
      if (sentenceId === (this.sentence && this.sentence.id)) return;
      if (this.onSentence) this.onSentence(sentenceId, this.follow);
      const before = this.sentence && this.sentence.element;
      if (before) before.removeAttribute("aria-current");
      this.markWord(null);
      if (!sentenceId) {
        this.sentence = null;
        this.caption.textContent = "";
        this.rule();
        return;
      }
      if (this.started) this.remember(sentenceId);
      const selector = '[data-sentence-id="' + CSS.escape(sentenceId) + '"]';
      const element = this.text ? this.text.querySelector("main " + selector) : null;
      this.sentence = { id: sentenceId, element };
      this.caption.textContent = this.texts.get(sentenceId) || "";
      if (!element) return;
      element.setAttribute("aria-current", "true");
      this.rule();
      if (this.follow) this.reveal(element);
    }

    // Keeps the sentence in view, above the compact bar; without motion if so preferred.
    reveal(element) {
      const still = this.win.matchMedia("(prefers-reduced-motion: reduce)").matches;
      const box = element.getBoundingClientRect();
      const height = this.room();
      if (box.top >= height * 0.15 && box.bottom <= height * 0.85) return;
      const top = box.top + this.win.scrollY - (height - box.height) / 2;
      this.win.scrollTo({ top: Math.max(0, top), behavior: still ? "auto" : "smooth" });
    }

    tick() {
      const audio = this.audio();
      if (!audio) return;
      const seconds = this.offset(this.current) + audio.currentTime;
      const whole = Math.floor(seconds);
      if (whole === this.shown) return;
      this.shown = whole;
      this.elapsed.textContent = clock(seconds);
      this.range.value = String(whole);
      this.describeRange(seconds);
      const session = navigator.mediaSession;
      const total = this.totalSeconds();
      if (session && session.setPositionState && total && this.complete()) {
        try {
          session.setPositionState({
            duration: total,
            playbackRate: this.speed,
            position: Math.min(seconds, total),
          });
        } catch (error) {
          // a position the browser does not accept is left out
        }
      }
    }

    complete() {
      return this.sections.length > 0 && this.sections.every((s) => s.duration != null);
    }

    totalSeconds() {
      return this.offset(this.sections.length);
    }

    times() {
      const total = this.totalSeconds();
      this.total.textContent = this.complete() ? clock(total) : "–:––";
      this.range.max = String(Math.ceil(total));
      this.shown = null;
      this.tick();
      if (!this.audio()) this.describeRange(0);
    }

    describeRange(seconds) {
      const total = this.complete() ? " af " + spoken(this.totalSeconds()) : "";
      this.range.setAttribute("aria-valuetext", spoken(seconds) + total);
    }

    sectionLabel(index) {
      const count = this.sections.length;
      return "Afsnit " + (index + 1) + " af " + count + ": " + this.sections[index].heading;
    }

    showSection() {
      const section = this.sections[this.current];
      if (!section) {
        this.now.textContent = "";
        this.sectionLink.hidden = true;
        return;
      }
      this.now.textContent = this.sectionLabel(this.current);
      this.sectionLink.hidden = false;
      this.sectionLink.href = this.api + "/sections/" + encodeURIComponent(section.id) + "/audio";
      this.sectionLink.setAttribute("download", this.slug + "-" + section.id + ".mp3");
      const session = navigator.mediaSession;
      if (session && this.started && typeof MediaMetadata === "function") {
        session.metadata = new MediaMetadata({
          title: this.title || "",
          artist: "Høje-Taastrup Kommune",
          album: section.heading,
          artwork: [{ src: this.base + ARTWORK, sizes: "any", type: "image/svg+xml" }],
        });
      }
    }

    showState() {
      const playing = this.started && this.playing();
      this.mainText.textContent = !this.started
        ? "Få siden oplæst"
        : playing
          ? "Sæt på pause"
          : "Fortsæt oplæsningen";
      this.mainIcon.firstChild.setAttribute("d", playing ? PAUSE : PLAY);
      if (this.dockMain) {
        this.dockMain.setAttribute("aria-label", playing ? "Sæt på pause" : "Afspil");
        this.dockMain.firstChild.firstChild.setAttribute("d", playing ? PAUSE : PLAY);
      }
      this.root.classList.toggle("rp-playing", playing);
      const session = navigator.mediaSession;
      if (session) session.playbackState = playing ? "playing" : "paused";
    }

    busy(waiting) {
      this.root.classList.toggle("rp-busy", waiting);
      clearTimeout(this.busyTimer);
      if (waiting) this.busyTimer = setTimeout(() => this.say("Oplæsningen hentes …"), 1000);
    }

    say(message) {
      // The same message twice still changes the region, so it is read again.
      this.live.textContent = this.live.textContent === message ? message + " " : message;
    }

    // Title and controls on a phone's lock screen and on media keys.
    session() {
      const session = navigator.mediaSession;
      if (!session || this.hasSession) return;
      this.hasSession = true;
      const actions = {
        play: () => this.play(),
        pause: () => this.audio() && this.audio().pause(),
        previoustrack: () => this.step(-1),
        nexttrack: () => this.step(1),
        seekbackward: () => this.sentenceStep(-1),
        seekforward: () => this.sentenceStep(1),
        seekto: (details) => this.seek(details.seekTime),
        stop: () => this.close(),
      };
      for (const [action, handler] of Object.entries(actions)) {
        try {
          session.setActionHandler(action, handler);
        } catch (error) {
          // an action this browser does not know
        }
      }
    }
  }

  // On another site: <script src="…/embed.js" data-reader-page="SLUG" async>. The player lives
  // in a Shadow DOM, so the host page's CSS cannot reach it.
  function embed(script) {
    const slug = script.getAttribute("data-reader-page");
    if (!SLUG.test(slug || "")) return;
    const base = script.src.replace(/\/embed\.js(?:[?#].*)?$/, "");
    const host = make(document, "div", { "data-reader-embed": slug });
    if (script.closest("body")) script.after(host);
    else document.body.prepend(host);
    const shadow = host.attachShadow({ mode: "open" });
    const attrs = { class: "player rp rp-light rp-embed", lang: "da", hidden: true };
    const root = make(document, "div", attrs);
    const style = make(document, "link", { rel: "stylesheet", href: base + "/static/player.css" });
    const show = () => {
      root.hidden = false;
    };
    style.addEventListener("load", show);
    style.addEventListener("error", show);
    shadow.append(style, root);
    if (!script.hasAttribute("data-reader-host")) new Player(root, { slug, base });
    return host;
  }

  // With no page named, the script reads the page it is on (its canonical address, else its
  // own): the reader fetches that page from the site, and the sentences it reads are found in
  // this page's text and marked there, with the ids the API gives them. Only the marked
  // sentence gets a style, set on its own elements: no style sheet reaches the host page.
  async function embedHost(script) {
    const base = script.src.replace(/\/embed\.js(?:[?#].*)?$/, "");
    const canonical = document.querySelector('link[rel="canonical"][href]');
    const address = canonical ? canonical.href : location.href.split("#")[0];
    const ask = async (path) => {
      const response = await fetch(base + path, {
        headers: { Accept: "application/json" },
        credentials: "omit",
      });
      if (!response.ok) throw new Error(path + ": HTTP " + response.status);
      return response.json();
    };
    let page, markup;
    try {
      [page, markup] = await Promise.all([
        ask("/api/pages/lookup?url=" + encodeURIComponent(address)),
        ask("/api/site/markup"),
      ]);
    } catch (error) {
      console.warn("reader: this page cannot be read aloud:", error.message);
      return;
    }
    script.setAttribute("data-reader-page", page.slug);
    const host = embed(script);
    const marks = markHostText(page, markup, host);
    new Player(host.shadowRoot.querySelector(".rp"), {
      slug: page.slug,
      base,
      onSentence: (id, follow) => marks.show(id, follow),
    });
  }

  const NEVER_READ = "script, style, noscript, template, nav, aside, [hidden], [data-reader-skip]";
  const MARK_STYLE = { backgroundColor: "#fff1a8", color: "#1a1a1a" };

  function readableRegion(markup) {
    const chosen = markup.region ? document.querySelector(markup.region) : null;
    return chosen || document.querySelector("[data-reader-root]") || document.querySelector("main") || document.body;
  }

  // The text of the region as one string (white space collapsed), with where each character
  // came from, so that a sentence found in it can be wrapped where it stands.
  function flatten(region, skip, host) {
    const chars = [];
    let text = "";
    let space = true;
    const walker = document.createTreeWalker(region, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) =>
        host.contains(node) || node.parentElement.closest(skip)
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT,
    });
    // Blocks often meet without white space in the markup ("<li>a</li><li>b</li>"): a space
    // goes between the text of two blocks, never inside one ("foo<em>bar</em>").
    const blockOf = (node) => {
      let element = node.parentElement;
      while (element !== region && getComputedStyle(element).display.startsWith("inline")) {
        element = element.parentElement;
      }
      return element;
    };
    let block = null;
    let previous = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const data = node.data;
      const here = blockOf(node);
      if (previous && here !== block && !space) {
        text += " ";
        chars.push([previous, previous.data.length]);
        space = true;
      }
      block = here;
      previous = node;
      for (let i = 0; i < data.length; i++) {
        const blank = /\s/.test(data[i]);
        if (blank && space) continue;
        text += blank ? " " : data[i];
        chars.push([node, i]);
        space = blank;
      }
    }
    return { text, chars };
  }

  // Where ``wanted`` stands in ``text`` as whole words ("Borger" is not in "Borgerservice").
  const WORD = /[\p{L}\p{N}]/u;
  function findWhole(text, wanted, from) {
    for (let at = text.indexOf(wanted, from); at >= 0; at = text.indexOf(wanted, at + 1)) {
      const before = at > 0 ? text[at - 1] : " ";
      const after = text[at + wanted.length] || " ";
      const edge = (outside, inside) => !(WORD.test(outside) && WORD.test(inside));
      if (edge(before, wanted[0]) && edge(after, wanted[wanted.length - 1])) return at;
    }
    return -1;
  }

  function markHostText(page, markup, host) {
    const classes = (markup.skip_classes || []).map((name) => "." + CSS.escape(name));
    const skip = [NEVER_READ, ...classes].join(", ");
    const { text, chars } = flatten(readableRegion(markup), skip, host);
    const found = [];
    let from = 0;
    for (const section of page.sections) {
      for (const sentence of section.sentences) {
        const wanted = sentence.text.replace(/\s+/g, " ").trim();
        let at = wanted ? findWhole(text, wanted, from) : -1;
        if (at < 0 && wanted) at = findWhole(text, wanted, 0);
        if (at < 0) {
          console.warn("reader: sentence " + sentence.id + " is not in this page's text");
          continue;
        }
        found.push({ id: sentence.id, start: at, end: at + wanted.length });
        from = at + wanted.length;
      }
    }
    // Wrapped from the end backwards: splitting a text node keeps the offsets before the split.
    const spans = new Map();
    const pieces = [];
    for (const match of found) {
      let start = match.start;
      while (start < match.end) {
        const node = chars[start][0];
        let end = start;
        while (end < match.end && chars[end][0] === node) end++;
        const last = chars[end - 1];
        pieces.push({ id: match.id, node, from: chars[start][1], to: last[1] + 1 });
        start = end;
      }
    }
    pieces.sort((a, b) => {
      const order = a.node.compareDocumentPosition(b.node);
      if (a.node === b.node) return b.from - a.from;
      return order & Node.DOCUMENT_POSITION_FOLLOWING ? 1 : -1;
    });
    for (const piece of pieces) {
      let target = piece.node;
      const to = Math.min(piece.to, target.data.length);
      if (piece.from >= to) continue;
      if (to < target.data.length) target.splitText(to);
      if (piece.from > 0) target = target.splitText(piece.from);
      const span = document.createElement("span");
      span.setAttribute("data-reader-sentence", piece.id);
      target.parentNode.insertBefore(span, target);
      span.append(target);
      if (!spans.has(piece.id)) spans.set(piece.id, []);
      spans.get(piece.id).unshift(span);
    }
    let shown = [];
    return {
      show(id, follow) {
        for (const span of shown) {
          span.removeAttribute("aria-current");
          span.style.removeProperty("background-color");
          span.style.removeProperty("color");
        }
        shown = (id && spans.get(id)) || [];
        for (const span of shown) {
          span.setAttribute("aria-current", "true");
          Object.assign(span.style, MARK_STYLE);
        }
        const first = shown[0];
        if (!first || !follow) return;
        const box = first.getBoundingClientRect();
        if (box.bottom > 0 && box.top < window.innerHeight) return;
        const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        first.scrollIntoView({ block: "center", behavior: still ? "auto" : "smooth" });
      },
    };
  }

  function boot() {
    for (const root of document.querySelectorAll("[data-reader-player]")) {
      const slug = root.getAttribute("data-slug");
      if (!SLUG.test(slug || "") || root.classList.contains("rp-ready")) continue;
      const frame = root.hasAttribute("data-frame");
      new Player(root, { slug, frame, text: frame ? null : document });
    }
  }

  const script = document.currentScript;
  const onHost = script && /\/embed\.js(?:[?#].*)?$/.test(script.src);
  if (script && script.hasAttribute("data-reader-page")) {
    if (document.body) embed(script);
    else document.addEventListener("DOMContentLoaded", () => embed(script));
  } else if (onHost) {
    script.setAttribute("data-reader-host", "");
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => embedHost(script));
    } else {
      embedHost(script);
    }
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
