// The order page: while a recorded write is still on its way to BigCommerce, ask the API
// for the order every 2 s (at most 90 times) and update the outbox badges in place.
(function () {
  "use strict";
  const script = document.getElementById("orders-script");
  if (!script) return;
  const url = script.dataset.api;
  const open = new Set(["pending", "sending", "sent"]);
  const kinds = { pending: "warn", held: "warn", sending: "warn", sent: "warn", confirmed: "ok", failed: "fail", mismatched: "fail" };
  let polls = 0;

  function badges() { return Array.from(document.querySelectorAll("[data-intent-id]")); }
  function anyOpen() { return badges().some((b) => open.has(b.dataset.intentState)); }

  function show(intents) {
    for (const badge of badges()) {
      const intent = intents[badge.dataset.intentId];
      if (!intent || intent.state === badge.dataset.intentState) continue;
      badge.dataset.intentState = intent.state;
      badge.textContent = "#" + intent.id + " " + intent.state;
      badge.className = "badge " + (kinds[intent.state] || "muted");
      if (intent.last_error) badge.title = intent.last_error;
    }
  }

  async function poll() {
    polls += 1;
    try {
      const get = window.bigsync && window.bigsync.fetchJSON
        ? window.bigsync.fetchJSON(url)
        : fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then((r) => r.json());
      const order = await get;
      const intents = {};
      for (const s of order.shipments || []) if (s.intent) intents[s.intent.id] = s.intent;
      for (const c of order.status_changes || []) intents[c.intent.id] = c.intent;
      show(intents);
      const status = document.getElementById("order-status");
      if (status && order.status) status.textContent = order.status;
    } catch (error) {
      // The next poll tries again.
    }
    if (anyOpen() && polls < 90) setTimeout(poll, 2000);
  }

  if (anyOpen()) setTimeout(poll, 1000);
})();
