// The SPARQL editor (/query): YASGUI with one tab per catalogue query, all against our own endpoint. Nothing may
// leave this site: no endpoint catalogue but ours, no autocompletion (YASGUI's completers fetch prefix.cc and
// LOV), no saved state. The tabs come as a JSON data block, so that the page's CSP can forbid inline scripts.
(function () {
  const config = JSON.parse(document.getElementById("editor-tabs").textContent);
  const tabs = config.tabs;
  const selected = config.selected;
  const endpoint = new URL("/sparql", window.location.href).href;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }], keys: [] },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autoAddOnInit: false,
    yasqe: { autocompleters: [], prefixCcApi: null },
  });
  const active = tabs.some((tab) => tab.name === selected) ? selected : (tabs.length ? tabs[0].name : null);
  for (const tab of tabs) {
    yasgui.addTab(tab.name === active, { name: tab.name, yasqe: { value: tab.query }, requestConfig: { endpoint: endpoint } });
  }
  if (active === null) yasgui.addTab(true, { requestConfig: { endpoint: endpoint } });
  window.yasgui = yasgui;
})();
