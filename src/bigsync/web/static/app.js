// bigsync: small helpers every page shares (no framework). Page scripts live in
// static/<area>.js and use `bigsync.fetchJSON`.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // fetch() for the JSON API with the session's CSRF token; resolves to the parsed body,
  // rejects with an Error carrying `status` and the problem document (`problem`).
  function fetchJSON(url, opts) {
    opts = Object.assign({ credentials: "same-origin" }, opts || {});
    var headers = new Headers(opts.headers || {});
    headers.set("Accept", "application/json");
    headers.set("X-CSRF-Token", csrfToken());
    if (opts.body !== undefined && typeof opts.body !== "string" && !(opts.body instanceof FormData)) {
      opts.body = JSON.stringify(opts.body);
      headers.set("Content-Type", "application/json");
    }
    opts.headers = headers;
    return fetch(url, opts).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parsed = type.indexOf("json") >= 0 ? response.json() : response.text();
      return parsed.then(function (body) {
        if (!response.ok) {
          var error = new Error((body && (body.detail || body.title)) || response.statusText);
          error.status = response.status;
          error.problem = body;
          throw error;
        }
        return body;
      });
    });
  }

  // <form data-confirm="Really?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <button data-copy="#selector">: copy that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  window.bigsync = { fetchJSON: fetchJSON, csrfToken: csrfToken };
})();
