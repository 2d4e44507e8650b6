// The SPARQL editor (/query): YASGUI with one tab per catalogue query, all against our own endpoint. Nothing may
// leave this site: no endpoint catalogue but ours, none of YASGUI's completers (they fetch prefix.cc and LOV) but
// ours, which asks /complete.json, no saved state. The tabs come as a JSON data block, so that the page's CSP can
// forbid inline scripts.
//
// Added here: the result views of results.js as YASR plugins (graph, chart, timeline beside YASR's table), chosen
// per query by `#defaultView:Graph` (WDQS's syntax) or a catalogue query's `#+ view:` header; completion of
// prefixes, classes, properties and entities; and a share link `/query#sparql=…&view=…` that reopens a query
// and its view (in the fragment: never sent to the server, no length limit but the browser's).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("editor-tabs").textContent);
  var endpoint = new URL("/sparql", window.location.href).href;
  var state = (window.yuetangEditor = { drawn: null, draws: 0, completions: null, completed: null });
  // config.prefixes: the site's prefixes and namespaces, for declaring one that a completion needs.
  var ICONS = { graph: "⬡", chart: "▤", timeline: "⋯" };
  var LABELS = { graph: "Graph 关系图", chart: "Chart 柱状图", timeline: "Timeline 时间线" };

  function viewPlugin(view) {
    function Plugin(yasr) {
      this.yasr = yasr;
      this.priority = 1; // below YASR's table (10): drawn when chosen, never as a fallback
      this.label = LABELS[view];
    }
    Plugin.prototype.canHandleResults = function () {
      var results = this.yasr.results;
      return !!(results && results.getVariables().length && results.getBindings());
    };
    Plugin.prototype.getIcon = function () {
      var icon = document.createElement("span");
      icon.textContent = ICONS[view];
      return icon;
    };
    Plugin.prototype.draw = function () {
      var holder = document.createElement("div");
      holder.className = "view-drawn";
      this.yasr.resultsEl.appendChild(holder);
      var result = { head: { vars: this.yasr.results.getVariables() }, results: { bindings: this.yasr.results.getBindings() } };
      // Only the last draw counts: a plugin switch redraws the old answer just before a new one arrives.
      var draw = ++state.draws;
      state.drawn = null;
      return YuetangResults.draw(view, holder, result).then(function (what) {
        if (draw === state.draws) state.drawn = { view: view, what: what };
      });
    };
    return Plugin;
  }
  ["graph", "chart", "timeline"].forEach(function (view) { Yasgui.Yasr.registerPlugin(view, viewPlugin(view)); });

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autoAddOnInit: false,
    yasqe: { autocompleters: [], prefixCcApi: null },
    yasr: { pluginOrder: ["table", "graph", "chart", "timeline", "response"] },
  });

  // A shared link: #sparql=<query>&view=<view>.
  var shared = new URLSearchParams(location.hash.replace(/^#/, ""));
  var sharedText = shared.get("sparql");
  var pendingView = sharedText !== null ? shared.get("view") : null;

  var tabs = config.tabs;
  var active = sharedText !== null ? null : tabs.some(function (t) { return t.name === config.selected; }) ? config.selected : (tabs.length ? tabs[0].name : null);
  tabs.forEach(function (tab) {
    yasgui.addTab(tab.name === active, { name: tab.name, yasqe: { value: tab.query }, requestConfig: { endpoint: endpoint } });
  });
  if (sharedText !== null) {
    yasgui.addTab(true, { name: "分享 shared", yasqe: { value: sharedText }, requestConfig: { endpoint: endpoint } });
  } else if (active === null) {
    yasgui.addTab(true, { requestConfig: { endpoint: endpoint } });
  }

  // The view of an answer: the one a shared link names (once), else the one its query asks for, else the table.
  yasgui.on("queryResponse", function (_, tab) {
    var view = pendingView || YuetangResults.viewOf(tab.getYasqe().getValue()) || "table";
    pendingView = null;
    tab.getYasr().selectPlugin(YuetangResults.VIEWS.indexOf(view) >= 0 ? view : "table");
  });

  function shareLink() {
    var tab = yasgui.getTab();
    var yasr = tab.getYasr();
    var view = (yasr && yasr.getSelectedPluginName()) || YuetangResults.viewOf(tab.getYasqe().getValue()) || "table";
    var fragment = new URLSearchParams({ sparql: tab.getYasqe().getValue(), view: view });
    return location.origin + "/query#" + fragment.toString();
  }
  document.getElementById("share").addEventListener("click", function () {
    var field = document.getElementById("share-link");
    field.value = shareLink();
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(function () {});
  });

  // Completion: the word before the cursor (letters, digits, hanzi, ':', '_', '-') is looked up in our graph.
  var WORD = /[\p{L}\p{N}_:\-]/u;
  var pending = null;

  function wordBefore(cm) {
    var cursor = cm.getCursor(), line = cm.getLine(cursor.line), start = cursor.ch;
    while (start > 0 && WORD.test(line.charAt(start - 1))) start--;
    return { text: line.slice(start, cursor.ch), from: { line: cursor.line, ch: start }, to: cursor };
  }

  function declares(cm, prefix) {
    return new RegExp("^\\s*PREFIX\\s+" + prefix + ":", "im").test(cm.getValue());
  }

  // What to insert: an entity's IRI, a class or property by its prefixed name (declaring the prefix if the
  // query lacks it), a prefix with its declaration.
  function insertion(cm, item) {
    var prefix = item.curie ? item.curie.split(":")[0] : null;
    var text = item.kind === "entity" || !item.curie ? "<" + item.iri + ">" : item.curie;
    return function (editor, data, chosen) {
      editor.replaceRange(text, chosen.from || data.from, chosen.to || data.to, "complete");
      if (prefix && !declares(editor, prefix)) {
        var known = item.kind === "prefix" ? item.iri : config.prefixes[prefix];
        if (known) editor.replaceRange("PREFIX " + prefix + ": <" + known + ">\n", { line: 0, ch: 0 }, { line: 0, ch: 0 }, "complete");
      }
    };
  }

  function show(cm, word, items) {
    // An answer for a word since typed further is stale: the answer for the longer word follows.
    if (wordBefore(cm).text !== word.text) return;
    state.completions = items;
    state.completed = word.text;
    if (!items.length) return;
    cm.showHint({
      completeSingle: false,
      // Asked again on every keystroke while the list is open: the range is the word as it is now, or a pick
      // after more typing would replace only the letters the list was asked for.
      hint: function () {
        var now = wordBefore(cm);
        return { from: now.from, to: now.to, list: items.map(function (item) {
          var names = item.label_zh + (item.label_en && item.label_en !== item.label_zh ? " · " + item.label_en : "");
          var kind = item.kind === "entity" ? item.type_zh || "entity" : item.kind;
          return { text: item.iri, displayText: names + (item.pinyin ? " · " + item.pinyin : "") + "  [" + kind + "] " + (item.curie || item.iri),
                   hint: insertion(cm, item) };
        }) };
      },
    });
  }

  function complete(cm, asked) {
    var word = wordBefore(cm);
    var token = cm.getTokenAt(cm.getCursor());
    if (/string|comment/.test(token.type || "") && !asked) return;
    var hanzi = /\p{Script=Han}/u.test(word.text);
    if (!word.text || word.text.charAt(0) === "?" || (!asked && !hanzi && word.text.length < 2)) return;
    if (pending) pending.abort();
    pending = new AbortController();
    // "ykg:" is a prefix being typed: look up "ykg".
    fetch("/complete.json?q=" + encodeURIComponent(word.text.replace(/:$/, "")), { signal: pending.signal })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) { show(cm, word, items); })
      .catch(function (error) { if (error.name !== "AbortError") throw error; });
  }

  var attached = new WeakSet();
  function attach() {
    var tab = yasgui.getTab();
    var yasqe = tab && tab.getYasqe();
    if (!yasqe || attached.has(yasqe)) return;
    attached.add(yasqe);
    yasqe.on("inputRead", function (cm) { complete(cm, false); });
    yasqe.addKeyMap({ "Ctrl-Space": function (cm) { complete(cm, true); } });
  }
  yasgui.on("tabSelect", function () { setTimeout(attach, 0); });
  attach();

  if (sharedText !== null) yasgui.getTab().query();
  window.yasgui = yasgui;
  state.shareLink = shareLink;
})();
