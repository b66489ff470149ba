// The rules editor's live preview: while a pattern is typed, the store's methods it would
// match (and which of them it would win given the other rules) are drawn under the form,
// from GET /api/v1/connections/{id}/shipping/preview. Without JavaScript the Preview button
// posts the form and the page draws the same list.
(function () {
  "use strict";
  var input = document.getElementById("rule-pattern");
  var target = document.getElementById("rule-preview");
  if (!input || !target) return;
  var url = input.getAttribute("data-preview-url");
  var unmatched = "unmatched";
  var timer = null;
  var latest = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function code(text) { return el("code", {}, [text]); }

  function draw(preview) {
    var n = preview.methods;
    var summary = el("p", { id: "preview-summary" }, [
      code(preview.pattern),
      " matches " + preview.matches.length + " of " + n + " method" + (n === 1 ? "" : "s") +
        "; a rule of it would choose " + preview.wins + ".",
    ]);
    if (preview.replaces) {
      summary.appendChild(document.createTextNode(" Saving replaces the rule "));
      summary.appendChild(code(preview.replaces));
      summary.appendChild(document.createTextNode("."));
    }
    var nodes = [summary];
    if (preview.matches.length) {
      var list = el("ul", { class: "preview-list" });
      preview.matches.forEach(function (m) {
        var badge = m.wins
          ? el("span", { class: "badge ok" }, ["would map here"])
          : el("span", { class: "badge muted" }, ["stays with ", code(m.beaten_by)]);
        var now = el("span", { class: "muted" }, ["now: "]);
        if (m.current_rule === unmatched) {
          now.appendChild(document.createTextNode(
            "unmatched" + (m.current_service ? " (default " + m.current_service + ")" : "")));
        } else {
          now.appendChild(document.createTextNode(m.current_service + " by "));
          now.appendChild(code(m.current_rule));
        }
        list.appendChild(el("li", { "data-method": m.name, class: m.wins ? "wins" : "loses" }, [
          el("span", { class: "method" }, [m.name]), " ", badge, " ", now,
        ]));
      });
      nodes.push(list);
    }
    target.replaceChildren.apply(target, nodes);
  }

  function fail(message) {
    target.replaceChildren(el("p", { class: "flash fail", id: "preview-error" }, [message]));
  }

  function refresh() {
    var pattern = input.value.trim();
    var ticket = ++latest;
    if (!pattern) { target.replaceChildren(); return; }
    bigsync.fetchJSON(url + "?pattern=" + encodeURIComponent(pattern)).then(function (preview) {
      if (ticket === latest) draw(preview);
    }, function (error) {
      if (ticket === latest) fail((error && error.message) || "The preview is not available.");
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  var button = document.getElementById("preview-button");
  if (button) button.style.display = "none";  // the preview follows the typing
})();
