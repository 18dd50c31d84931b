// slaguard dashboard behaviour. No inline scripts (the pages' CSP forbids them).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Tell the server the browser's time zone, for users who have not chosen one.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("slaguard_tz=" + encodeURIComponent(tz)) < 0) {
      document.cookie = "slaguard_tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: the server uses UTC */ }

  // <select class="autosubmit"> submits its form when changed.
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && t.classList && t.classList.contains("autosubmit") && t.form) { t.form.submit(); }
  });

  // Live countdowns: <span class="countdown" data-due-us="..." data-now-us="...">.
  // The page's own clock (data-now-us, the server's now when rendered) is the origin,
  // so a browser whose clock is off still counts the right time left.
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function format(ms) {
    var neg = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = d || h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
    return (neg ? "-" : "") + (d ? d + "d " : "") + text;
  }
  function tick() {
    var nodes = document.querySelectorAll(".countdown[data-due-us]");
    var now = Date.now();
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (el.dataset.nowUs && !el.dataset.skew) {
        el.dataset.skew = String(Number(el.dataset.nowUs) / 1000 - now);
      }
      var left = Number(el.dataset.dueUs) / 1000 - (now + Number(el.dataset.skew || 0));
      el.textContent = format(left);
      el.classList.toggle("overdue", left < 0);
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
})();
