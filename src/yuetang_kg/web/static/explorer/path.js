// The path finder's drawing (/path): the shortest chains between two entities, from the JSON block the server
// wrote; hover an arrow for its quote, click an entity to open its page.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("path-data").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var network = new vis.Network(document.getElementById("path-graph"), { nodes: nodes, edges: new vis.DataSet(data.edges) }, {
    nodes: { font: { face: "WenQuanYi Micro Hei, sans-serif", size: 15 } },
    edges: { arrows: { to: { enabled: true, scaleFactor: 0.6 } }, font: { size: 12, align: "middle" }, smooth: false },
    layout: { hierarchical: { enabled: true, direction: "LR", levelSeparation: 170 } },
    physics: false,
    interaction: { hover: true, tooltipDelay: 150 },
  });
  var state = (window.yuetangPath = { ready: false, network: network });
  network.on("click", function (params) {
    if (params.nodes.length === 1) window.location.assign(nodes.get(params.nodes[0]).url);
  });
  network.once("afterDrawing", function () { state.ready = true; });
})();
