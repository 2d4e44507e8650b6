// Result views of a SPARQL answer (SPARQL 1.1 JSON: head.vars and results.bindings; a CONSTRUCT answer as the
// subject/predicate/object rows YASR makes of it): a graph drawn with vis-network, a bar chart and a timeline drawn
// as SVG. Used by the catalogue pages (catalogue.js) and as YASR plugins in the editor (editor.js). Labels, types
// and colours of IRIs come from our own graph (/terms.json); every edge and bar carries the evidence quote its
// row returns. Everything is built with DOM calls and textContent: no HTML from data is ever parsed.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var VIEWS = ["table", "graph", "chart", "timeline"];
  // WDQS names (#defaultView:BarChart …) and ours (#+ view: chart) for the same views.
  var ALIASES = { table: "table", graph: "graph", chart: "chart", barchart: "chart", bar: "chart",
                  timeline: "timeline" };
  var NUMERIC = /#(integer|decimal|double|float|long|int|short|byte|nonNegativeInteger|positiveInteger|unsignedInt|unsignedLong)$/;
  var DATED = /#(date|dateTime|gYear|gYearMonth)$/;
  var OFFSET = /^(begin|end)$|(Begin|End)$/;
  var TERMS_PER_REQUEST = 2000; // the bound /terms.json sets

  // The view a query asks for: `#defaultView:Graph` (WDQS) or our catalogue header `#+ view: graph`.
  function viewOf(text) {
    var found = /^\s*#\s*defaultView\s*:\s*([A-Za-z]+)/im.exec(text || "") ||
                /^#\+\s*view\s*:\s*([A-Za-z]+)/im.exec(text || "");
    return found ? ALIASES[found[1].toLowerCase()] || null : null;
  }

  function rowsOf(result) {
    return { vars: (result.head && result.head.vars) || [], rows: (result.results && result.results.bindings) || [] };
  }

  function columnKinds(vars, rows) {
    var kinds = {};
    vars.forEach(function (v) {
      var bound = rows.map(function (r) { return r[v]; }).filter(Boolean);
      kinds[v] = {
        bound: bound.length,
        uri: bound.length > 0 && bound.every(function (t) { return t.type === "uri"; }),
        numeric: bound.length > 0 && bound.every(function (t) { return t.type !== "uri" && NUMERIC.test(t.datatype || ""); }),
        distinct: new Set(bound.map(function (t) { return t.value; })).size,
      };
    });
    return kinds;
  }

  var termCache = {};
  // Labels, type and colour of IRIs from our graph, fetched once each (in bounded batches).
  function terms(iris) {
    var wanted = Array.from(new Set(iris)).filter(function (i) { return !(i in termCache); });
    var batches = [];
    for (var i = 0; i < wanted.length; i += TERMS_PER_REQUEST) batches.push(wanted.slice(i, i + TERMS_PER_REQUEST));
    return Promise.all(batches.map(function (batch) {
      return fetch("/terms.json", { method: "POST", headers: { "Content-Type": "application/json" },
                                    body: JSON.stringify({ iris: batch }) })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (found) { batch.forEach(function (iri) { termCache[iri] = found[iri] || null; }); });
    })).then(function () { return termCache; });
  }

  function shortIri(iri) {
    var cut = Math.max(iri.lastIndexOf("#"), iri.lastIndexOf("/"));
    return cut >= 0 && cut < iri.length - 1 ? iri.slice(cut + 1) : iri;
  }

  // A literal column that names a node column: ?placeZh, ?placeLabel, ?place_zh for ?place.
  function labelColumn(vars, v) {
    return vars.find(function (c) { return c === v + "Zh" || c === v + "Label" || c === v + "_zh"; });
  }

  function evidenceOf(vars, row) {
    return vars.filter(function (v) { return /quote$/i.test(v) && row[v]; }).map(function (v) {
      var stem = v.slice(0, -5);
      var begin = row[stem ? stem + "Begin" : "begin"], end = row[stem ? stem + "End" : "end"];
      return "“" + row[v].value + "”" + (begin && end ? " [" + begin.value + "–" + end.value + ")" : "");
    });
  }

  function note(container, text) {
    var p = document.createElement("p");
    p.className = "note view-note";
    p.textContent = text;
    container.appendChild(p);
    return p;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  // The graph: IRI columns are nodes; each row links its first node column to every other one (as WDQS does),
  // labelled by a predicate column where there is one (?p, ?predicate, a CONSTRUCT's triples), else by the
  // column's name. Columns bound to one value in every row (parameters) are left out when two others vary.
  function graphModel(result) {
    var r = rowsOf(result), vars = r.vars, rows = r.rows, kinds = columnKinds(vars, rows);
    var predicate = vars.find(function (v) { return kinds[v].uri && /^(p\d*|pred|predicate|property|relation)$/i.test(v); });
    var nodeVars = vars.filter(function (v) { return kinds[v].uri && v !== predicate && !/(kind|class|type)$/i.test(v); });
    var varying = nodeVars.filter(function (v) { return kinds[v].distinct > 1; });
    if (varying.length >= 2) nodeVars = varying;
    var nodes = new Map(), edges = new Map();
    function addNode(v, row) {
      var iri = row[v].value;
      if (!nodes.has(iri)) {
        var column = labelColumn(vars, v);
        nodes.set(iri, { id: iri, fallback: column && row[column] ? row[column].value : shortIri(iri) });
      }
      return iri;
    }
    rows.forEach(function (row) {
      var present = nodeVars.filter(function (v) { return row[v]; });
      if (!present.length) return;
      var from = addNode(present[0], row);
      var quotes = evidenceOf(vars, row);
      present.slice(1).forEach(function (v) {
        var to = addNode(v, row);
        if (to === from) return;
        var relation = predicate && row[predicate] ? row[predicate].value : null;
        var key = from + " " + (relation || v) + " " + to;
        var edge = edges.get(key) || { id: key, from: from, to: to, relation: relation, column: v, quotes: [] };
        quotes.forEach(function (q) { if (edge.quotes.indexOf(q) < 0) edge.quotes.push(q); });
        edges.set(key, edge);
      });
    });
    return { nodes: Array.from(nodes.values()), edges: Array.from(edges.values()) };
  }

  function drawGraph(container, result) {
    var model = graphModel(result);
    if (!model.nodes.length) {
      note(container, "没有可画成图的 IRI 列 No IRI columns to draw as a graph.");
      return Promise.resolve({ nodes: 0, edges: 0 });
    }
    var iris = model.nodes.map(function (n) { return n.id; })
      .concat(model.edges.map(function (e) { return e.relation; }).filter(Boolean));
    return terms(iris).then(function (known) {
      var box = document.createElement("div");
      box.className = "graph result-graph";
      container.appendChild(box);
      var info = note(container, "点击节点查看链接 Click a node for its links.");
      var nodes = model.nodes.map(function (n) {
        var t = known[n.id];
        var lines = [t ? t.label_zh + " · " + t.label_en : n.fallback];
        if (t && t.type_zh) lines.push("类型 type: " + t.type_zh + " · " + t.type_en);
        lines.push(n.id);
        return { id: n.id, label: t ? t.label_zh : n.fallback, title: lines.join("\n"),
                 color: t && t.color ? t.color : "#b0bec5", shape: t && t.shape ? t.shape : "dot",
                 href: t ? t.href : null };
      });
      var edges = model.edges.map(function (e) {
        var rel = e.relation ? known[e.relation] : null;
        var label = rel ? rel.label_zh : e.relation ? shortIri(e.relation) : e.column;
        var title = [rel ? rel.label_zh + " · " + rel.label_en : label].concat(e.quotes).join("\n");
        return { id: e.id, from: e.from, to: e.to, label: model.edges.length <= 60 ? label : undefined,
                 title: title, quotes: e.quotes };
      });
      var data = { nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges) };
      var network = new vis.Network(box, data, {
        nodes: { font: { face: "WenQuanYi Micro Hei, sans-serif", size: 14 }, scaling: { min: 8, max: 24 } },
        edges: { arrows: { to: { enabled: true, scaleFactor: 0.5 } }, font: { size: 10, align: "middle" },
                 color: { color: "#90a4ae", highlight: "#e65100" }, smooth: false },
        physics: { solver: "forceAtlas2Based", stabilization: { iterations: 250, updateInterval: 50 } },
        interaction: { hover: true, tooltipDelay: 150 },
      });
      network.on("click", function (params) {
        if (params.nodes.length !== 1) return;
        var node = data.nodes.get(params.nodes[0]);
        info.replaceChildren(document.createTextNode(node.label + " — "));
        if (node.href) {
          info.appendChild(link(node.href, "页面 page"));
          info.appendChild(document.createTextNode(" · "));
          info.appendChild(link("/canvas?start=" + encodeURIComponent(node.id), "在画布中展开 explore on the canvas"));
        } else {
          info.appendChild(document.createTextNode(node.id));
        }
      });
      YuetangResults.network = network; // the last graph drawn, for tests and benchmarks
      return new Promise(function (resolve) {
        network.once("stabilizationIterationsDone", function () {
          network.setOptions({ physics: false });
          network.once("afterDrawing", function () { resolve({ nodes: nodes.length, edges: edges.length }); });
          network.redraw();
        });
      });
    });
  }

  function svgElement(name, attributes, text) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (k) { element.setAttribute(k, attributes[k]); });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function cut(text, n) { return text.length <= n ? text : text.slice(0, n - 1) + "…"; }

  // A row's name: its label columns (?xZh …) joined, else its first non-numeric literal, else a node's label.
  function rowLabel(vars, kinds, row, known) {
    var labels = vars.filter(function (v) { return /(Zh|Label|_zh)$/.test(v) && row[v]; }).map(function (v) { return row[v].value; });
    if (labels.length) return labels.join(" · ");
    var literal = vars.find(function (v) { return row[v] && row[v].type !== "uri" && !kinds[v].numeric; });
    if (literal) return row[literal].value;
    var node = vars.find(function (v) { return row[v] && row[v].type === "uri"; });
    return node ? (known[row[node].value] ? known[row[node].value].label_zh : shortIri(row[node].value)) : "";
  }

  function column(vars, pattern) { return vars.find(function (v) { return pattern.test(v); }); }

  // A bar chart: one bar per row (duplicates from OPTIONAL evidence merged) on the first numeric column (a
  // selector offers the others), with the unit, the article's stated figure, qualifier and period beside it.
  function drawChart(container, result, options) {
    var wanted = options && options.value;
    var r = rowsOf(result), vars = r.vars, kinds = columnKinds(vars, r.rows);
    var numeric = vars.filter(function (v) { return kinds[v].numeric && !OFFSET.test(v); });
    if (!numeric.length) {
      note(container, "没有数值列 No numeric column to chart.");
      return Promise.resolve({ bars: 0 });
    }
    var value = numeric.indexOf(wanted) >= 0 ? wanted : numeric[0];
    var unit = column(vars, /^unit/i), stated = column(vars, /^stated(Text)?$/i);
    var qualifier = column(vars, /^qualifier$/i), period = column(vars, /period$/i);
    var iris = [];
    r.rows.forEach(function (row) { vars.forEach(function (v) { if (row[v] && row[v].type === "uri") iris.push(row[v].value); }); });
    return terms(iris).then(function (known) {
      var bars = new Map();
      r.rows.forEach(function (row) {
        if (!row[value]) return;
        var label = rowLabel(vars, kinds, row, known);
        var key = label + "\u0000" + row[value].value + "\u0000" + (period && row[period] ? row[period].value : "");
        var bar = bars.get(key) || { label: label, value: Number(row[value].value), raw: row[value].value,
          unit: unit && row[unit] ? row[unit].value : "", stated: stated && row[stated] ? row[stated].value : "",
          qualifier: qualifier && row[qualifier] ? row[qualifier].value : "",
          period: period && row[period] ? row[period].value : "", quotes: [] };
        evidenceOf(vars, row).forEach(function (q) { if (bar.quotes.indexOf(q) < 0) bar.quotes.push(q); });
        bars.set(key, bar);
      });
      var list = Array.from(bars.values());
      if (numeric.length > 1) {
        var pick = document.createElement("label");
        pick.className = "view-pick";
        pick.textContent = "数值列 value column ";
        var select = document.createElement("select");
        numeric.forEach(function (v) { var o = document.createElement("option"); o.value = v; o.textContent = v; o.selected = v === value; select.appendChild(o); });
        select.addEventListener("change", function () { container.replaceChildren(); drawChart(container, result, { value: select.value }); });
        pick.appendChild(select);
        container.appendChild(pick);
      }
      var top = Math.max.apply(null, list.map(function (b) { return Math.abs(b.value); }).concat([0])) || 1;
      var rowH = 28, labelW = 230, barW = 300, width = 760;
      var svg = svgElement("svg", { "class": "chart result-chart", role: "img", width: width,
        height: rowH * list.length + 10, viewBox: "0 0 " + width + " " + (rowH * list.length + 10) });
      svg.appendChild(svgElement("title", {}, value + (list[0] && list[0].unit ? " (" + list[0].unit + ")" : "")));
      list.forEach(function (bar, i) {
        var y = 5 + i * rowH, w = Math.max(2, barW * Math.abs(bar.value) / top);
        var figure = (bar.stated || bar.raw) + (bar.stated ? "" : bar.unit ? " " + bar.unit : "") +
          (bar.qualifier ? "（" + bar.qualifier + "）" : "") + (bar.period ? " · " + bar.period : "");
        var g = svgElement("g", { "class": "bar" });
        g.appendChild(svgElement("title", {}, [bar.label + ": " + bar.raw + (bar.unit ? " " + bar.unit : "") +
          (bar.stated ? "（原文 stated: " + bar.stated + "）" : "") + (bar.period ? " · " + bar.period : "")]
          .concat(bar.quotes).join("\n")));
        g.appendChild(svgElement("text", { x: labelW - 8, y: y + rowH * 0.6, "text-anchor": "end" }, cut(bar.label, 18)));
        g.appendChild(svgElement("rect", { x: labelW, y: y + 4, width: w.toFixed(1), height: rowH - 10,
          fill: bar.value < 0 ? "#ef9a9a" : "#42a5f5" }));
        g.appendChild(svgElement("text", { x: (labelW + w + 6).toFixed(1), y: y + rowH * 0.6 }, cut(figure, 30)));
        svg.appendChild(g);
      });
      container.appendChild(svg);
      return { bars: list.length };
    });
  }

  // Fractional years of an ISO date (2024, 2024-03, 2024-03-05), for placing it on the axis.
  function yearsOf(text) {
    var m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(text || "");
    return m ? Number(m[1]) + (m[2] ? (Number(m[2]) - 1) / 12 : 0) + (m[3] ? (Number(m[3]) - 1) / 365 : 0) : null;
  }

  // A timeline: rows with a date (an xsd:date-like value, or a ?date/?year/?when column of ISO text) in time
  // order on an axis; undated rows listed after it.
  function drawTimeline(container, result) {
    var r = rowsOf(result), vars = r.vars, kinds = columnKinds(vars, r.rows);
    var dateVar = vars.find(function (v) {
      var bound = r.rows.map(function (row) { return row[v]; }).filter(Boolean);
      return bound.length && bound.every(function (t) { return DATED.test(t.datatype || ""); });
    }) || vars.find(function (v) {
      return /(date|year|when)$/i.test(v) && r.rows.some(function (row) { return row[v] && yearsOf(row[v].value) !== null; });
    });
    if (!dateVar) {
      note(container, "没有日期列 No date column for a timeline.");
      return Promise.resolve({ events: 0 });
    }
    var iris = [];
    r.rows.forEach(function (row) { vars.forEach(function (v) { if (row[v] && row[v].type === "uri") iris.push(row[v].value); }); });
    return terms(iris).then(function (known) {
      var events = new Map();
      r.rows.forEach(function (row) {
        var label = vars.filter(function (v) { return /Zh$/.test(v) && row[v]; }).map(function (v) { return row[v].value; })[0] ||
          rowLabel(vars, kinds, row, known);
        var when = row[dateVar] ? row[dateVar].value : "";
        var key = label + "\u0000" + when;
        var event = events.get(key) || { label: label, when: when, at: yearsOf(when), quotes: [] };
        evidenceOf(vars, row).forEach(function (q) { if (event.quotes.indexOf(q) < 0) event.quotes.push(q); });
        events.set(key, event);
      });
      var all = Array.from(events.values());
      var dated = all.filter(function (e) { return e.at !== null; }).sort(function (a, b) { return a.at - b.at || (a.label < b.label ? -1 : 1); });
      var undated = all.filter(function (e) { return e.at === null; });
      var lo = dated.length ? Math.floor(dated[0].at) : 0, hi = dated.length ? Math.floor(dated[dated.length - 1].at) + 1 : 1;
      var rowH = 26, left = 90, axisW = 220, width = 760, height = rowH * dated.length + 40;
      var svg = svgElement("svg", { "class": "chart result-timeline", role: "img", width: width, height: height,
        viewBox: "0 0 " + width + " " + height });
      svg.appendChild(svgElement("title", {}, "时间线 timeline (" + dateVar + ")"));
      function x(at) { return left + axisW * (at - lo) / (hi - lo); }
      for (var year = lo; year <= hi; year++) {
        svg.appendChild(svgElement("line", { x1: x(year), x2: x(year), y1: 18, y2: height - 4, stroke: "#e0e0e0" }));
        svg.appendChild(svgElement("text", { x: x(year), y: 12, "text-anchor": "middle", "font-size": 11 }, String(year)));
      }
      dated.forEach(function (e, i) {
        var y = 30 + i * rowH;
        var g = svgElement("g", { "class": "event" });
        g.appendChild(svgElement("title", {}, [e.when + " " + e.label].concat(e.quotes).join("\n")));
        g.appendChild(svgElement("text", { x: left - 8, y: y + 4, "text-anchor": "end", "font-size": 12 }, e.when));
        g.appendChild(svgElement("circle", { cx: x(e.at).toFixed(1), cy: y, r: 6, fill: "#7e57c2" }));
        g.appendChild(svgElement("text", { x: left + axisW + 12, y: y + 4 }, cut(e.label, 28)));
        svg.appendChild(g);
      });
      container.appendChild(svg);
      if (undated.length) {
        note(container, "未注明日期 Undated:");
        var list = document.createElement("ul");
        undated.forEach(function (e) { var li = document.createElement("li"); li.textContent = e.label; li.title = e.quotes.join("\n"); list.appendChild(li); });
        container.appendChild(list);
      }
      return { events: dated.length, undated: undated.length };
    });
  }

  var DRAW = { graph: drawGraph, chart: drawChart, timeline: drawTimeline };

  window.YuetangResults = {
    VIEWS: VIEWS,
    viewOf: viewOf,
    terms: terms,
    graphModel: graphModel,
    // Draw one view of a result into a container; resolves with what was drawn once it is on screen.
    draw: function (view, container, result, options) {
      container.replaceChildren();
      return Promise.resolve(DRAW[view](container, result, options));
    },
  };
})();
