// The ego graph of a resource page: vis-network (served from the pyvis package) over the data the server
// embedded as JSON; clicking a node opens its page. No inline script, so the page's CSP can forbid them.
(function () {
  "use strict";
  var holder = document.getElementById("ego-data");
  var container = document.getElementById("ego");
  if (!holder || !container) return;
  var data = JSON.parse(holder.textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var state = (window.yuetangEgo = { ready: false, network: network, center: data.center });
  network.on("click", function (params) {
    if (params.nodes.length !== 1) return;
    var node = nodes.get(params.nodes[0]);
    if (node && node.url && node.id !== data.center) window.location.assign(node.url);
  });
  // Ready means drawn: the canvas is painted on the frame after stabilisation, so wait for that frame.
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: false });
    network.once("afterDrawing", function () { state.ready = true; });
    network.redraw();
  });
  if (data.nodes.length === 0) state.ready = true;
})();
