/* app.js: the little behaviour the pages have, kept out of the HTML so the
 * Content-Security-Policy can forbid inline scripts.
 *  - Copy Code: [data-copy-target] copies the element's text to the clipboard.
 *  - Countdowns: [data-countdown] counts seconds down (code expiry, Resend cooldown).
 *  - After an htmx swap, focus moves to the new step's heading.
 *  - After a "Was this article helpful?" vote, focus stays on the answer given.
 *  - The language switcher comes back to the page shown now, even after htmx changed it.
 * Every page works without this file; it only makes things nicer. */
(function () {
  "use strict";

  function formatSeconds(seconds, format) {
    if (format === "mmss") {
      var m = Math.floor(seconds / 60), s = seconds % 60;
      return m + ":" + (s < 10 ? "0" : "") + s;
    }
    return String(seconds);
  }

  function startCountdown(el) {
    if (el.dataset.countdownStarted) return;
    el.dataset.countdownStarted = "1";
    var left = parseInt(el.dataset.countdown, 10) || 0;
    var value = el.querySelector(".countdown-value");
    var form = el.closest("form");
    var cooldownButton = form && form.querySelector("button[data-cooldown]");
    if (cooldownButton && left > 0) cooldownButton.disabled = true;
    var timer = setInterval(function () {
      left -= 1;
      if (!document.body.contains(el)) { clearInterval(timer); return; }
      if (left <= 0) {
        clearInterval(timer);
        el.textContent = el.dataset.expiredText || "";
        if (cooldownButton) cooldownButton.disabled = false;
        return;
      }
      if (value) value.textContent = formatSeconds(left, el.dataset.countdownFormat);
    }, 1000);
  }

  function copyCode(button) {
    var target = document.getElementById(button.dataset.copyTarget);
    var status = button.closest(".recovery").querySelector(".copy-status");
    var text = target.textContent.trim();
    // The messages come from the page, in the reader's language.
    navigator.clipboard.writeText(text).then(function () {
      status.textContent = button.dataset.copiedText || "";
    }, function () {
      status.textContent = button.dataset.copyFailedText || "";
    });
  }

  function enhance(root) {
    root.querySelectorAll("[data-countdown]").forEach(startCountdown);
    if (navigator.clipboard) {
      root.querySelectorAll("[data-copy-target]").forEach(function (button) { button.hidden = false; });
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (button) copyCode(button);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".language-switcher a");
    if (!link) return;
    var url = new URL(link.href);
    url.searchParams.set("next", location.pathname + location.search);
    link.href = url.toString();
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });

  document.addEventListener("htmx:afterSwap", function (event) {
    // A history restore (back button) swaps the page without a detail.target: enhance what it put in.
    enhance(event.detail.target || event.target);
    var main = document.getElementById("main");
    // #main for a step; <body> when the whole page was swapped (signing in with the recovery code).
    if (event.detail.target === main || event.detail.target === document.body) {
      var heading = main.querySelector("h1");
      (heading || main).focus();
      var title = heading ? heading.textContent.trim() : "";
      if (title) document.title = title + " · " + document.title.split(" · ").pop();
    }
    // The vote block is replaced whole (outerHTML): without this, focus would fall back to <body>.
    var path = event.detail.pathInfo && event.detail.pathInfo.requestPath;
    if (path && /\/vote$/.test(path)) {
      var pressed = document.querySelector('#helpful [aria-pressed="true"]');
      if (pressed) pressed.focus();
    }
  });
})();
