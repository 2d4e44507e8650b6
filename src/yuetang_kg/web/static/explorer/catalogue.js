// A catalogue query's page (/queries/<name>): the server's table, and the graph, chart and timeline views of the
// same answer drawn by results.js; the view the query declares (#+ view:) is shown first, `#view=…` in the
// address picks another. window.yuetangResults says which view is on screen once it is drawn.
(function () {
  "use strict";
  var result = JSON.parse(document.getElementById("result-data").textContent);
  var declared = JSON.parse(document.getElementById("result-view").textContent);
  var table = document.getElementById("view-table");
  var drawn = document.getElementById("view-drawn");
  var buttons = Array.from(document.querySelectorAll(".view-tabs button"));
  var state = (window.yuetangResults = { ready: false, view: null, declared: declared, drawn: null });

  function show(view) {
    state.ready = false;
    state.view = view;
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.view === view)); });
    table.hidden = view !== "table";
    drawn.hidden = view === "table";
    if (view === "table") { state.ready = true; return; }
    YuetangResults.draw(view, drawn, result).then(function (what) { state.drawn = what; state.ready = true; },
      function (error) { drawn.textContent = String(error); state.ready = true; throw error; });
  }

  buttons.forEach(function (b) {
    b.addEventListener("click", function () { history.replaceState(null, "", "#view=" + b.dataset.view); show(b.dataset.view); });
  });
  var asked = /^#view=(\w+)$/.exec(location.hash);
  show(asked && YuetangResults.VIEWS.indexOf(asked[1]) >= 0 ? asked[1] : declared);
})();
