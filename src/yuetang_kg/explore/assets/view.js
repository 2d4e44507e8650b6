// An offline view written by `yuetang-kg viz`: search by hanzi, pinyin (with or without tones) or English, and
// physics switched off once the layout has stabilised. `drawGraph`, `network` and `nodes` are the globals of
// pyvis' page, whose own call of drawGraph() views.render removes.
(function () {
  "use strict";
  var state = (window.yuetangView = { ready: false, selected: null, started: performance.now(), settledMs: null });
  drawGraph();

  // The same normalisation as project.search_key: no tone marks, lower case, letters and digits only.
  function key(text) {
    return String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  }

  var entries = nodes.get().map(function (node) {
    return { id: node.id, label: node.label, names: node.names || [], slug: node.slug,
             keys: (node.names || []).map(key), aliases: (node.aka || []).map(key) };
  });

  // As analytics.find ranks: exact name or id, then prefix, then substring; names before other spellings
  // (aka); the shorter matching name first.
  function rank(entry, text, wanted) {
    var best = entry.slug === text.trim() ? [0, 0, 0] : [3, 0, 0];
    [entry.keys, entry.aliases].forEach(function (keys, alias) {
      keys.forEach(function (k) {
        var r = k === wanted ? 0 : k.indexOf(wanted) === 0 ? 1 : k.indexOf(wanted) >= 0 ? 2 : 3;
        var candidate = [r, alias, k.length];
        if (r < 3 && compare(candidate, best) < 0) best = candidate;
      });
    });
    return best;
  }

  function compare(a, b) {
    return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  }

  function search(text) {
    var wanted = key(text);
    if (!wanted) return [];
    return entries
      .map(function (e) { return { rank: rank(e, text, wanted), entry: e }; })
      .filter(function (r) { return r.rank[0] < 3; })
      .sort(function (a, b) { return compare(a.rank, b.rank) || (a.entry.id < b.entry.id ? -1 : 1); })
      .map(function (r) { return r.entry; });
  }

  function show(id) {
    network.selectNodes([id]);
    network.focus(id, { scale: 1.2, animation: false });
    state.selected = id;
  }

  var input = document.getElementById("view-search");
  var list = document.getElementById("view-search-results");
  input.addEventListener("input", function () {
    list.replaceChildren();
    search(input.value).slice(0, 8).forEach(function (entry) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = entry.names.slice(0, 2).join(" · ");
      button.addEventListener("click", function () { show(entry.id); });
      var item = document.createElement("li");
      item.appendChild(button);
      list.appendChild(item);
    });
  });
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var found = search(input.value);
    if (found.length) show(found[0].id);
  });
  state.search = function (text) { return search(text).map(function (e) { return e.id; }); };

  // Ready means drawn: the canvas is painted on the frame after stabilisation, so wait for that frame.
  function settled() {
    if (state.ready) return;
    network.setOptions({ physics: false });
    state.settledMs = performance.now() - state.started;
    network.once("afterDrawing", function () { state.ready = true; });
    network.redraw();
  }
  network.once("stabilizationIterationsDone", settled);
  if (nodes.length === 0) settled();
})();
