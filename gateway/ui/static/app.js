// Tonegate web app: deadline countdowns, keyboard shortcuts, memory suggestions, confirmations.
// Loaded as a file (the Content-Security-Policy forbids inline scripts); no data from messages
// is ever turned into markup here: text goes in through .value and .textContent only.
"use strict";

(function () {
  function plural(n, unit) {
    return n + " " + unit + (n === 1 ? "" : "s");
  }

  function describe(seconds) {
    var s = Math.abs(Math.round(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var parts = d ? [plural(d, "day"), plural(h, "hour")] : h ? [plural(h, "hour"), plural(m, "min")]
      : m ? [m + " min", (s % 60) + " s"] : [(s % 60) + " s"];
    return seconds >= 0 ? "in " + parts.join(" ") : "overdue by " + parts.join(" ");
  }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Number(el.getAttribute("data-deadline")) - now;
      el.textContent = describe(left);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 300);
    });
  }

  function submit(form) {
    if (form && typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else if (form) {
      form.submit();
    }
  }

  function itemShortcuts(event) {
    var approve = document.getElementById("approve-form");
    if (!approve) return false;
    var box = document.getElementById("post-edit");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      submit(approve);
      return true;
    }
    if (!event.altKey) return false;
    var key = event.key.toLowerCase();
    if (key === "r" || event.code === "KeyR") {
      var reason = document.getElementById("reason");
      if (document.activeElement === reason && reason.value.trim()) {
        submit(document.getElementById("reject-form"));
      } else {
        reason.focus();
      }
      return true;
    }
    if (key === "c" || event.code === "KeyC") {
      var claim = document.querySelector("form[action$='/claim']");
      submit(claim);
      return !!claim;
    }
    var digit = /^Digit([1-9])$/.exec(event.code);
    if (digit) {
      var buttons = document.querySelectorAll("button[data-insert]");
      var button = buttons[Number(digit[1]) - 1];
      if (button) {
        box.value = button.getAttribute("data-insert");
        box.focus();
        return true;
      }
    }
    return false;
  }

  function queueShortcuts(event) {
    var target = event.target;
    if (event.ctrlKey || event.altKey || event.metaKey) return false;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return false;
    if (event.key !== "j" && event.key !== "k") return false;
    var links = Array.prototype.slice.call(document.querySelectorAll("a.item-link"));
    if (!links.length) return false;
    var at = links.indexOf(document.activeElement);
    var next = event.key === "j" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
    links[next].focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (itemShortcuts(event) || queueShortcuts(event)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-insert]");
    if (!button) return;
    var box = document.getElementById("post-edit");
    box.value = button.getAttribute("data-insert");
    box.focus();
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // The queue's rows are swapped in by htmx when they change: mark the rows that were not there
  // before and say so in a live region (the table itself is not one: it would be read out whole).
  var known = null;

  function rowIds() {
    return Array.prototype.map.call(document.querySelectorAll("#queue tr[data-id]"), function (tr) {
      return tr.getAttribute("data-id");
    });
  }

  function queueChanged() {
    var ids = rowIds();
    var fresh = known ? ids.filter(function (id) { return !known.has(id); }) : [];
    fresh.forEach(function (id) {
      var row = document.querySelector("#queue tr[data-id='" + CSS.escape(id) + "']");
      if (row) row.classList.add("new");
    });
    known = new Set(ids);
    var news = document.getElementById("queue-news");
    var total = document.getElementById("queue-total");
    if (news && total) {
      news.textContent = "Queue updated: " + total.textContent + " items" +
        (fresh.length ? ", " + fresh.length + " new on this page." : ".");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("queue")) known = new Set(rowIds());
    tick();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "queue") queueChanged();
    tick();
  });
  setInterval(tick, 1000);
})();
