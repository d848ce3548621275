// Starts GraphiQL from the page's JSON data block (graphql_schema/graphiql.py). The
// page holds no inline script, so its Content-Security-Policy says script-src 'self'.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("graphiql-config").textContent);
  // A shared link may carry a query and its variables; never headers, which hold keys.
  const parameters = new URLSearchParams(window.location.search);

  function keepInURL(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    const search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  // GraphiQL keeps tabs and history in localStorage, where every script of this
  // origin can read them, and its history keeps each run's headers (the key) even
  // with shouldPersistHeaders off: what it stores there loses its headers.
  const STRIPPED = /^graphiql:(tabState|queries|favorites)$/;
  const ours = () => Object.keys(localStorage).filter((key) => key.startsWith("graphiql:"));
  const storage = {
    getItem: (key) => localStorage.getItem(key),
    setItem: (key, value) =>
      localStorage.setItem(
        key,
        STRIPPED.test(key)
          ? JSON.stringify(JSON.parse(value), (name, v) => (name === "headers" ? undefined : v))
          : value,
      ),
    removeItem: (key) => localStorage.removeItem(key),
    clear: () => ours().forEach((key) => localStorage.removeItem(key)),
    get length() {
      return ours().length;
    },
  };

  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  // Made once and never re-rendered: GraphiQL re-applies changed props, which would
  // reopen the explorer or reset the editors under the developer's hands.
  const props = {
    fetcher: GraphiQL.createFetcher({ url: window.location.href.split("?")[0] }),
    plugins: [explorer],
    visiblePlugin: config.openExplorer ? explorer : undefined,
    query: parameters.get("q") || config.query,
    variables: parameters.get("variables") || undefined,
    headers: config.headers,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    storage: storage,
    shouldPersistHeaders: false,
    inputValueDeprecation: true,
    onEditQuery: (query) => keepInURL("q", query),
    onEditVariables: (variables) => keepInURL("variables", variables),
  };

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props),
  );
})();
