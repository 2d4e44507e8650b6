// The exploration canvas (/canvas): one entity at first; a click on a node fetches its neighbours from
// /neighbours.json (a bounded page at a time) and adds them. The state (the expansions in order, the relations
// and classes hidden) lives in the URL's fragment: undo and the browser's back button step back through it,
// and the link restores it, by replaying the expansions from a cache of the answers.
(function () {
  "use strict";
  var BASE = "https://w3id.org/yuetang-kg/id/";
  var PAGE = 50; // neighbours per expansion: /neighbours.json's default bound
  var start = JSON.parse(document.getElementById("canvas-start").textContent);
  var container = document.getElementById("canvas");
  var nodes = new vis.DataSet(), edges = new vis.DataSet();
  var state = { expanded: [], hiddenRelations: new Set(), hiddenClasses: new Set() };
  var cache = new Map(), totals = new Map(), selected = null;
  var labels = { relations: new Map(), classes: new Map() };
  var visible = new Set();

  var nodesView = new vis.DataView(nodes, { filter: function (n) { return visible.has(n.id); } });
  var edgesView = new vis.DataView(edges, { filter: function (e) {
    return !state.hiddenRelations.has(e.relation) && visible.has(e.from) && visible.has(e.to);
  } });
  var network = new vis.Network(container, { nodes: nodesView, edges: edgesView }, {
    nodes: { font: { face: "WenQuanYi Micro Hei, sans-serif", size: 14 } },
    edges: { arrows: { to: { enabled: true, scaleFactor: 0.5 } }, font: { size: 10, align: "middle" },
             color: { color: "#90a4ae", highlight: "#e65100" }, smooth: false },
    physics: { solver: "forceAtlas2Based", stabilization: { iterations: 150, updateInterval: 50 } },
    interaction: { hover: true, tooltipDelay: 150 },
  });
  var canvas = (window.yuetangCanvas = { ready: false, network: network, state: state, nodes: nodes, edges: edges });

  function shortId(iri) { return iri.indexOf(BASE) === 0 ? iri.slice(BASE.length) : iri; }
  function fullIri(id) { return /^https?:/.test(id) ? id : BASE + id; }

  // Fragment: x=<id>~<offset>,… (expansions in order), hr=<relation>,…, hc=<class>,…
  function encode() {
    var parts = [];
    if (state.expanded.length) parts.push("x=" + state.expanded.map(encodeURIComponent).join(","));
    if (state.hiddenRelations.size) parts.push("hr=" + Array.from(state.hiddenRelations).sort().join(","));
    if (state.hiddenClasses.size) parts.push("hc=" + Array.from(state.hiddenClasses).sort().join(","));
    return parts.length ? "#" + parts.join("&") : "";
  }

  function decode(hash) {
    var fields = {};
    hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) fields[pair.slice(0, at)] = pair.slice(at + 1);
    });
    state.expanded = fields.x ? fields.x.split(",").map(decodeURIComponent).filter(Boolean) : [];
    state.hiddenRelations = new Set(fields.hr ? fields.hr.split(",") : []);
    state.hiddenClasses = new Set(fields.hc ? fields.hc.split(",") : []);
  }

  function link() {
    var here = location.pathname + location.search + encode();
    document.getElementById("canvas-link").href = here;
    document.getElementById("canvas-undo").disabled = state.expanded.length === 0;
    return here;
  }

  function page(key) {
    if (cache.has(key)) return Promise.resolve(cache.get(key));
    var cut = key.lastIndexOf("~");
    var url = "/neighbours.json?iri=" + encodeURIComponent(fullIri(key.slice(0, cut))) + "&offset=" + key.slice(cut + 1) + "&limit=" + PAGE;
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error("neighbours of " + key + ": HTTP " + r.status);
      return r.json();
    }).then(function (answer) { cache.set(key, answer); return answer; });
  }

  function add(answer) {
    var around = network.getPositions([answer.node.id])[answer.node.id] || { x: 0, y: 0 };
    totals.set(answer.node.id, answer.total);
    var fresh = answer.neighbours.filter(function (n) { return !nodes.get(n.id); }).map(function (n, i) {
      var angle = (2 * Math.PI * i) / Math.max(1, answer.neighbours.length);
      return Object.assign({}, n, { x: around.x + 150 * Math.cos(angle), y: around.y + 150 * Math.sin(angle) });
    });
    nodes.add(fresh);
    edges.update(answer.edges);
    answer.neighbours.concat([answer.node]).forEach(function (n) { labels.classes.set(n.type, n.type_zh + " " + n.type_en); });
    answer.edges.forEach(function (e) { labels.relations.set(e.relation, e.label); });
  }

  function refresh() {
    visible = new Set();
    var touched = new Set([start.id]);
    edges.forEach(function (e) { if (!state.hiddenRelations.has(e.relation)) { touched.add(e.from); touched.add(e.to); } });
    nodes.forEach(function (n) { if (n.id === start.id || (touched.has(n.id) && !state.hiddenClasses.has(n.type))) visible.add(n.id); });
    nodesView.refresh();
    edgesView.refresh();
    filters("canvas-relations", labels.relations, state.hiddenRelations);
    filters("canvas-classes", labels.classes, state.hiddenClasses);
    document.getElementById("canvas-status").textContent =
      visible.size + " 个节点 nodes · " + state.expanded.length + " 次展开 expansions";
    var more = document.getElementById("canvas-more");
    more.hidden = !(selected && (totals.get(selected) || 0) > loaded(selected));
  }

  function loaded(iri) {
    var id = shortId(iri);
    return state.expanded.filter(function (k) { return k.slice(0, k.lastIndexOf("~")) === id; }).length * PAGE;
  }

  function filters(holderId, known, hidden) {
    var holder = document.getElementById(holderId);
    holder.replaceChildren();
    Array.from(known.keys()).sort().forEach(function (key) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = key;
      box.checked = !hidden.has(key);
      box.addEventListener("change", function () {
        if (box.checked) hidden.delete(key); else hidden.add(key);
        history.replaceState(null, "", link());
        refresh();
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + known.get(key)));
      holder.appendChild(label);
    });
  }

  // Physics runs only while new nodes find their place, then stops, so the page stays responsive.
  function settle() {
    canvas.ready = false;
    network.setOptions({ physics: true });
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: false });
      network.once("afterDrawing", function () { canvas.ready = true; });
      network.redraw();
    });
    network.stabilize(150);
  }

  // Replays the state from scratch: the start node, then every expansion in order (answers are cached).
  function rebuild() {
    nodes.clear();
    edges.clear();
    nodes.add(start);
    labels.classes.set(start.type, start.type_zh + " " + start.type_en);
    var chain = Promise.resolve();
    state.expanded.forEach(function (key) { chain = chain.then(function () { return page(key).then(add); }); });
    return chain.then(function () { link(); refresh(); settle(); }, report);
  }

  function report(error) {
    document.getElementById("canvas-status").textContent = "出错 error: " + error.message;
    canvas.ready = true;
  }

  function expand(iri, offset) {
    var key = shortId(iri) + "~" + offset;
    if (state.expanded.indexOf(key) >= 0) return Promise.resolve();
    canvas.ready = false;
    return page(key).then(function (answer) {
      state.expanded.push(key);
      history.pushState(null, "", link());
      add(answer);
      refresh();
      settle();
    }, report);
  }

  function select(iri) {
    selected = iri;
    var node = nodes.get(iri);
    var info = document.getElementById("canvas-selected");
    info.replaceChildren(document.createTextNode(node.label + " " + node.label_en + " — "));
    var a = document.createElement("a");
    a.href = node.url;
    a.textContent = "页面 page";
    info.appendChild(a);
  }

  network.on("click", function (params) {
    if (params.nodes.length !== 1) return;
    select(params.nodes[0]);
    expand(params.nodes[0], 0);
  });
  document.getElementById("canvas-more").addEventListener("click", function () {
    if (selected) expand(selected, loaded(selected));
  });
  document.getElementById("canvas-undo").addEventListener("click", function () {
    state.expanded.pop();
    history.pushState(null, "", link());
    rebuild();
  });
  window.addEventListener("popstate", function () { decode(location.hash); rebuild(); });

  canvas.expand = function (iri) { return expand(iri, 0); };
  decode(location.hash);
  rebuild();
})();
