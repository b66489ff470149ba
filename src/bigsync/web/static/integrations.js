// Integrations pages: live check of the pasted store, the wizard's Test button, and the
// connection page's live sync progress. Tokens stay in the browser's field: nothing here
// reads or shows them.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // The store field: which store hash bigsync derives from what was pasted.
  var store = document.querySelector("input[data-check]");
  if (store) {
    var feedback = document.getElementById("store-feedback");
    var timer = null;
    var check = function () {
      var value = store.value;
      if (!value.trim()) { feedback.textContent = ""; feedback.className = "help"; return; }
      fetch(store.dataset.check + "?value=" + encodeURIComponent(value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (store.value !== value) { return; }
          if (answer.ok) {
            feedback.textContent = "Store hash: " + answer.store_hash;
            feedback.className = "help valid";
          } else {
            feedback.textContent = answer.message;
            feedback.className = "help invalid";
          }
        })
        .catch(function () { feedback.textContent = ""; });
    };
    store.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 250); });
    if (store.value) { check(); }
  }

  // The wizard's Test button: the scope report without leaving the page.
  var testButton = document.getElementById("test-button");
  var form = document.getElementById("connect-form");
  if (testButton && form) {
    testButton.addEventListener("click", function (event) {
      event.preventDefault();
      var target = document.getElementById("scope-report");
      var stale = document.getElementById("connect-error");
      if (stale) { stale.remove(); }
      target.innerHTML = '<p class="muted">Testing…</p>';
      testButton.disabled = true;
      fetch("/integrations/new/check", {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: {"X-CSRF-Token": csrfToken()}
      })
        .then(function (r) { return r.json(); })
        .then(function (answer) { target.innerHTML = answer.html; })
        .catch(function () { target.innerHTML = '<div class="flash fail">The test could not run; try again.</div>'; })
        .finally(function () { testButton.disabled = false; });
    });
  }

  // The connection page: poll the progress box while a sync runs or is asked for.
  var section = document.getElementById("progress");
  if (section) {
    var box = section.querySelector(".progress-box");
    if (box && box.dataset.done === "false") {
      var poll = function () {
        fetch(section.dataset.url, {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (answer) {
            var current = section.querySelector(".progress-box");
            var holder = document.createElement("div");
            holder.innerHTML = answer.html;
            current.replaceWith(holder.firstElementChild);
            if (answer.done) { window.location.reload(); } else { setTimeout(poll, 1000); }
          })
          .catch(function () { setTimeout(poll, 3000); });
      };
      setTimeout(poll, 1000);
    }
  }
})();
