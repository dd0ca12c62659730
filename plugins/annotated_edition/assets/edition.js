/* Annotated edition: the reader's side.
 *
 * - Term tooltips: a linked term shows its rendered definition on hover,
 *   keyboard focus or tap, without leaving the page and without the network
 *   (definitions ship inside the page, in #edition-definitions).
 * - Clean reading: one control hides highlights, term styling and note
 *   markers; the choice persists in localStorage.
 * - Citing: a "copy citation" button beside each paragraph number.
 *
 * Plain DOM code, no dependencies; works from file:// as from a server.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "annotated-edition.clean";
  var doc = document;
  var root = doc.documentElement;

  function store(value) {
    try { window.localStorage.setItem(STORAGE_KEY, value ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  function stored() {
    try { return window.localStorage.getItem(STORAGE_KEY) === "1"; } catch (e) { return false; }
  }

  /* ------------------------------------------------------------------ */
  /* Term tooltips                                                       */
  /* ------------------------------------------------------------------ */

  var definitions = doc.getElementById("edition-definitions");
  var tooltip = null;
  var current = null;       // the term whose tooltip is open
  var hideTimer = null;
  var lastPointer = "mouse";
  var openBeforeTap = false;  // was this term's tooltip already open when the tap began?

  function buildTooltip() {
    tooltip = doc.createElement("div");
    tooltip.id = "edition-tooltip";
    tooltip.className = "edition-tooltip";
    tooltip.setAttribute("role", "tooltip");
    tooltip.hidden = true;
    tooltip.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    tooltip.addEventListener("mouseleave", function () { scheduleHide(); });
    tooltip.addEventListener("focusout", function (event) {
      if (!tooltip.contains(event.relatedTarget) && event.relatedTarget !== current) { hide(); }
    });
    landmark().appendChild(tooltip);
  }

  // Inside <main>, so that everything on the page sits in a landmark.
  function landmark() {
    return doc.querySelector("main") || doc.body;
  }

  function show(term) {
    var source = definitions && definitions.querySelector(
      '[data-term="' + term.getAttribute("data-term") + '"]');
    if (!source) { return; }
    clearTimeout(hideTimer);
    if (!tooltip) { buildTooltip(); }
    if (current && current !== term) { current.removeAttribute("aria-describedby"); }
    current = term;
    tooltip.innerHTML = "";
    var heading = doc.createElement("p");
    heading.className = "edition-tooltip__term";
    heading.textContent = term.textContent;
    // The form's language is on the span around its words (the definition is in the page's language).
    var words = term.querySelector("span[lang]");
    if (words) { heading.lang = words.lang; }
    tooltip.appendChild(heading);
    var body = doc.createElement("div");
    body.className = "edition-tooltip__body";
    body.innerHTML = source.innerHTML;
    tooltip.appendChild(body);
    var more = doc.createElement("a");
    more.className = "edition-tooltip__more";
    more.href = term.getAttribute("href");
    more.textContent = "Glossary entry";
    tooltip.appendChild(more);
    tooltip.hidden = false;
    term.setAttribute("aria-describedby", tooltip.id);
    term.setAttribute("aria-expanded", "true");
    place(term);
  }

  function place(term) {
    var box = term.getBoundingClientRect();
    var width = Math.min(360, doc.documentElement.clientWidth - 16);
    tooltip.style.maxWidth = width + "px";
    var left = Math.max(8, Math.min(box.left, doc.documentElement.clientWidth - width - 8));
    tooltip.style.left = "0px";
    tooltip.style.top = "0px";
    // Coordinates relative to the tooltip's containing block, wherever that is.
    var origin = tooltip.getBoundingClientRect();
    var height = tooltip.offsetHeight;
    var below = box.bottom + 6;
    var top = (below + height > window.innerHeight && box.top - height - 6 > 0) ? box.top - height - 6 : below;
    tooltip.style.left = (left - origin.left) + "px";
    tooltip.style.top = (top - origin.top) + "px";
  }

  function hide() {
    clearTimeout(hideTimer);
    if (tooltip) { tooltip.hidden = true; }
    if (current) {
      current.removeAttribute("aria-describedby");
      current.setAttribute("aria-expanded", "false");
    }
    current = null;
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  function setUpTerms() {
    var terms = doc.querySelectorAll("a.edition-term");
    if (!terms.length || !definitions) { return; }
    Array.prototype.forEach.call(terms, function (term) {
      // The plain title is the no-JavaScript fallback; with JS the rich tooltip replaces it.
      if (term.title) { term.setAttribute("data-title", term.title); term.removeAttribute("title"); }
      term.setAttribute("aria-expanded", "false");
      term.addEventListener("mouseenter", function () { if (lastPointer !== "touch") { show(term); } });
      term.addEventListener("mouseleave", function () { if (lastPointer !== "touch") { scheduleHide(); } });
      term.addEventListener("focus", function () { show(term); });
      term.addEventListener("blur", function (event) {
        if (!tooltip || !tooltip.contains(event.relatedTarget)) { scheduleHide(); }
      });
      term.addEventListener("pointerdown", function (event) {
        openBeforeTap = current === term && tooltip && !tooltip.hidden;
        lastPointer = event.pointerType || "mouse";
      });
      term.addEventListener("click", function (event) {
        // A tap opens the tooltip first (the focus it brings may already have);
        // a second tap on the same term follows the link.
        if (lastPointer === "touch" && !openBeforeTap) {
          event.preventDefault();
          show(term);
        }
        openBeforeTap = false;
      });
    });
    doc.addEventListener("pointerdown", function (event) {
      lastPointer = event.pointerType || "mouse";
      if (tooltip && !tooltip.hidden && !tooltip.contains(event.target) &&
          !(event.target.closest && event.target.closest("a.edition-term"))) { hide(); }
    }, true);
    doc.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && tooltip && !tooltip.hidden) {
        var term = current;
        hide();
        if (term && tooltip.contains(doc.activeElement)) { term.focus(); }
      }
    });
    window.addEventListener("resize", function () { if (current) { place(current); } });
  }

  /* ------------------------------------------------------------------ */
  /* Clean reading                                                       */
  /* ------------------------------------------------------------------ */

  function setUpCleanReading() {
    var article = doc.querySelector(".md-content__inner") || doc.querySelector("[role=main]");
    var annotated = doc.querySelector(".edition-term, .edition-quote, .edition-pnum");
    if (!article || !annotated) { return; }
    var button = doc.createElement("button");
    button.type = "button";
    button.className = "edition-clean-toggle";
    button.textContent = "Clean reading";
    // No `title`: Material would turn it into a tooltip outside any landmark.
    button.setAttribute("aria-describedby", "edition-clean-help");
    var help = doc.createElement("span");
    help.id = "edition-clean-help";
    help.hidden = true;
    help.textContent = "Hides and shows highlights, term links and note numbers.";
    function apply(on) {
      root.classList.toggle("edition-clean", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    }
    apply(stored());
    button.addEventListener("click", function () {
      var on = !root.classList.contains("edition-clean");
      apply(on);
      store(on);
    });
    article.insertBefore(help, article.firstChild);
    article.insertBefore(button, article.firstChild);
  }

  /* ------------------------------------------------------------------ */
  /* Copy citation                                                       */
  /* ------------------------------------------------------------------ */

  var status = null;

  function announce(message) {
    if (!status) {
      status = doc.createElement("div");
      status.className = "edition-status";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      landmark().appendChild(status);
    }
    status.textContent = "";
    setTimeout(function () { status.textContent = message; }, 30);
  }

  function citation(number) {
    var data = definitions || doc.getElementById("edition-page");
    var heading = doc.querySelector(".md-content__inner h1, [role=main] h1");
    var title = (data && data.getAttribute("data-page-title")) ||
      (heading ? heading.textContent.replace(/¶$/, "").trim() : doc.title);
    var author = data ? data.getAttribute("data-author") : "";
    var site = data ? data.getAttribute("data-site") : "";
    var url = window.location.href.split("#")[0] + "#p" + number;
    return (author ? author + ", " : "") + "“" + title + "”" + (site ? ", " + site : "") +
      ", paragraph " + number + ". " + url;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function fallbackCopy(text) {
    var area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    doc.body.appendChild(area);
    area.select();
    try { doc.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    doc.body.removeChild(area);
  }

  function setUpCitations() {
    Array.prototype.forEach.call(doc.querySelectorAll("a.edition-pnum"), function (number) {
      var n = number.textContent.trim();
      var button = doc.createElement("button");
      button.type = "button";
      button.className = "edition-cite";
      button.setAttribute("aria-label", "Copy citation for paragraph " + n);
      button.addEventListener("click", function () {
        var text = citation(n);
        button.setAttribute("data-citation", text);
        copy(text).then(function () { announce("Citation for paragraph " + n + " copied"); });
      });
      number.parentNode.insertBefore(button, number.nextSibling);
    });
  }

  setUpTerms();
  setUpCleanReading();
  setUpCitations();
})();
