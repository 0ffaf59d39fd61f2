// The demo's only "framework": links marked data-spa change the URL with history.pushState and
// re-render <main> in place, as a single-page app would, so the tracker's SPA tracking shows.
(() => {
  var main = document.querySelector("main");
  var original = main.innerHTML;
  var originalTitle = document.title;

  function renderSettings() {
    document.title = "Settings | Acme Demo";
    main.innerHTML =
      '<h1 id="page-title">Settings</h1>' +
      '<section class="card" id="settings-panel">' +
      "<p>This view was rendered without a page load: the URL changed with <code>history.pushState</code>.</p>" +
      '<label><input type="checkbox" checked> Email me a weekly report</label>' +
      "</section>";
    markCurrent();
  }

  function render() {
    if (location.pathname.indexOf("/app/") === 0) renderSettings();
    else {
      document.title = originalTitle;
      main.innerHTML = original;
      markCurrent();
    }
  }

  // Links may carry ?site=<key> (see scripts/lib/demo-server.ts): compare paths only.
  function markCurrent() {
    document.querySelectorAll("header a").forEach((a) => {
      if (new URL(a.href).pathname === location.pathname) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  }

  document.addEventListener("click", (e) => {
    var a = e.target.closest?.("a[data-spa]");
    if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    var target = new URL(a.href);
    if (target.pathname + target.search !== location.pathname + location.search) {
      history.pushState({}, "", target.pathname + target.search);
    }
    render();
  });
  window.addEventListener("popstate", render);

  if (location.pathname.indexOf("/app/") === 0) renderSettings();
  else markCurrent();
})();
