/* Annotated edition: the reader's side.
 *
 * - Term tooltips: a linked term shows a preview of its definition on hover,
 *   keyboard focus or tap, without leaving the page and without the network
 *   (previews ship inside the page, in #edition-definitions), with a link
 *   to the whole entry. On a touch screen a note number opens its note in
 *   the same popover; a second tap follows the link.
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
  var current = null;       // the trigger (term or note number) whose popover is open
  var hideTimer = null;
  var lastPointer = "mouse";
  var openBeforeTap = false;  // was this trigger's popover already open when the tap began?
  var returningFocus = false; // Escape gives focus back to the trigger: that focus does not reopen it

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

  // One popover for terms and notes: a heading, the content, and a link to the whole of it.
  function open(trigger, heading, headingLang, content, moreHref, moreText) {
    clearTimeout(hideTimer);
    if (!tooltip) { buildTooltip(); }
    if (current && current !== trigger) { release(current); }
    current = trigger;
    tooltip.innerHTML = "";
    var title = doc.createElement("p");
    title.className = "edition-tooltip__term";
    title.textContent = heading;
    if (headingLang) { title.lang = headingLang; }
    tooltip.appendChild(title);
    var body = doc.createElement("div");
    body.className = "edition-tooltip__body";
    body.innerHTML = content;
    tooltip.appendChild(body);
    var more = doc.createElement("a");
    more.className = "edition-tooltip__more";
    more.href = moreHref;
    more.textContent = moreText;
    tooltip.appendChild(more);
    tooltip.hidden = false;
    trigger.setAttribute("aria-describedby", tooltip.id);
    trigger.setAttribute("aria-expanded", "true");
    place(trigger);
  }

  function showTerm(term) {
    var source = definitions && definitions.querySelector(
      '[data-term="' + term.getAttribute("data-term") + '"]');
    if (!source) { return; }
    // The form's language is on the span around its words (the definition is in the page's language).
    var words = term.querySelector("span[lang]");
    open(term, term.textContent, words ? words.lang : "", source.innerHTML, term.getAttribute("href"),
         "Read more in the glossary");
  }

  function showNote(reference) {
    var target = reference.getAttribute("href") || "";
    var item = target.charAt(0) === "#" ? doc.getElementById(target.slice(1)) : null;
    if (!item) { return; }
    // The note's type and text; its sources and the way back stay in the notes section.
    var note = item.cloneNode(true);
    Array.prototype.forEach.call(note.querySelectorAll(".edition-sources, .edition-note__backref"), function (e) {
      e.parentNode.removeChild(e);
    });
    open(reference, reference.getAttribute("aria-label") || "Editorial note", "", note.innerHTML, target,
         "Go to the note and its sources");
  }

  function place(trigger) {
    var box = trigger.getBoundingClientRect();
    var viewWidth = doc.documentElement.clientWidth;
    var width = Math.min(360, viewWidth - 16);
    tooltip.style.maxWidth = width + "px";
    tooltip.style.left = "0px";
    tooltip.style.top = "0px";
    // Coordinates relative to the tooltip's containing block, wherever that is.
    var origin = tooltip.getBoundingClientRect();
    var height = tooltip.offsetHeight;
    var realWidth = tooltip.offsetWidth;
    var left = Math.max(8, Math.min(box.left, viewWidth - realWidth - 8));
    var below = box.bottom + 6;
    var above = box.top - height - 6;
    var top = below + height <= window.innerHeight - 8 ? below
      : above >= 8 ? above
      : Math.max(8, window.innerHeight - height - 8);  // neither fits whole: inside the screen all the same
    tooltip.style.left = (left - origin.left) + "px";
    tooltip.style.top = (top - origin.top) + "px";
  }

  function release(trigger) {
    trigger.removeAttribute("aria-describedby");
    trigger.setAttribute("aria-expanded", "false");
  }

  function hide() {
    clearTimeout(hideTimer);
    if (tooltip) { tooltip.hidden = true; }
    if (current) { release(current); }
    current = null;
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  // A first tap opens the popover; a second tap on the same trigger follows its link.
  function tapOpens(trigger, show) {
    trigger.setAttribute("aria-expanded", "false");
    trigger.addEventListener("pointerdown", function (event) {
      openBeforeTap = current === trigger && tooltip && !tooltip.hidden;
      lastPointer = event.pointerType || "mouse";
    });
    trigger.addEventListener("click", function (event) {
      if (lastPointer === "touch" && !openBeforeTap) {
        event.preventDefault();
        show(trigger);
      }
      openBeforeTap = false;
    });
  }

  function setUpTerms() {
    var terms = doc.querySelectorAll("a.edition-term");
    if (!terms.length || !definitions) { return; }
    Array.prototype.forEach.call(terms, function (term) {
      // The plain title is the no-JavaScript fallback; with JS the rich tooltip replaces it.
      if (term.title) { term.setAttribute("data-title", term.title); term.removeAttribute("title"); }
      term.addEventListener("mouseenter", function () { if (lastPointer !== "touch") { showTerm(term); } });
      term.addEventListener("mouseleave", function () { if (lastPointer !== "touch") { scheduleHide(); } });
      term.addEventListener("focus", function () { if (!returningFocus) { showTerm(term); } });
      term.addEventListener("blur", function (event) {
        if (!tooltip || !tooltip.contains(event.relatedTarget)) { scheduleHide(); }
      });
      tapOpens(term, showTerm);
    });
  }

  // Note numbers: with a mouse or the keyboard, the theme's footnote tooltip shows the note;
  // a tap on a touch screen opens it in the popover rather than jumping away from the passage.
  function setUpNotes() {
    Array.prototype.forEach.call(doc.querySelectorAll("sup.edition-note-ref > a"), function (reference) {
      tapOpens(reference, function (tapped) {
        showNote(tapped);
        // The tap focused and "hovered" the number, which opens the theme's tooltip too: one popover
        // is enough, so the theme is told the pointer and the focus have left.
        tapped.blur();
        tapped.dispatchEvent(new MouseEvent("mouseleave"));
        tapped.dispatchEvent(new MouseEvent("mouseout", { bubbles: true }));
      });
    });
  }

  function setUpPopoverClosing() {
    doc.addEventListener("pointerdown", function (event) {
      lastPointer = event.pointerType || "mouse";
      if (tooltip && !tooltip.hidden && !tooltip.contains(event.target) &&
          !(current && current.contains(event.target))) { hide(); }
    }, true);
    doc.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && tooltip && !tooltip.hidden) {
        var trigger = current;
        var inside = tooltip.contains(doc.activeElement);
        hide();
        if (trigger && (inside || doc.activeElement === doc.body)) {
          returningFocus = true;
          trigger.focus();
          returningFocus = false;
        }
      }
    }, true);  // before the theme's own handlers, which may stop the key there
    window.addEventListener("resize", function () { if (current) { place(current); } });
  }

  /* The theme's footnote tooltip is a dialog (role="dialog") with no name, which screen readers
   * announce as a bare "dialog" and axe reports (aria-dialog-name): each one gets a name as the
   * theme adds it. */
  function setUpThemeDialogNames() {
    if (!window.MutationObserver) { return; }
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) {
          if (node.nodeType === 1 && node.matches(".md-tooltip2[role=dialog]") &&
              !node.hasAttribute("aria-label") && !node.hasAttribute("aria-labelledby")) {
            node.setAttribute("aria-label", node.querySelector(".edition-note__type") ? "Editorial note" : "Footnote");
          }
        });
      });
    }).observe(doc.body, { childList: true, subtree: true });
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
  setUpNotes();
  setUpPopoverClosing();
  setUpThemeDialogNames();
  setUpCleanReading();
  setUpCitations();
})();
