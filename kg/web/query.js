// The query page of `kg serve`: runs the query in the box against /sparql and shows the answer
// as a table (SELECT), a yes/no (ASK) or Turtle text (CONSTRUCT, DESCRIBE). Every value is
// written with textContent, never as HTML. Nothing is loaded from outside this server.
"use strict";

const RESULTS_JSON = "application/sparql-results+json";
const TURTLE = "text/turtle";
const MAX_ROWS = 1000;
let latestRun = 0;  // the number of the last run started: the answer of an earlier run is dropped

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("query-form").addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.id === "download") {
      return;  // the browser sends the form to /sparql with the chosen format
    }
    event.preventDefault();
    runQuery(document.getElementById("query").value);
  });
  loadCannedQueries();
});

async function runQuery(text) {
  const run = ++latestRun;
  const results = document.getElementById("results");
  results.replaceChildren();
  setStatus("running…", false);
  const started = performance.now();
  let response, body;
  try {
    response = await fetch("/sparql", {
      method: "POST",
      headers: {"Content-Type": "application/sparql-query", "Accept": `${RESULTS_JSON}, ${TURTLE};q=0.9`},
      body: text,
    });
    body = await response.text();
  } catch (error) {
    if (run === latestRun) {
      setStatus(`the endpoint did not answer: ${error}`, true);
    }
    return;
  }
  if (run !== latestRun) {
    return;  // a later run has started: its answer is the one shown
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  if (!response.ok) {
    setStatus(`${response.status} ${response.statusText}: ${body}`, true);
    return;
  }
  const type = (response.headers.get("Content-Type") || "").split(";")[0];
  if (type === RESULTS_JSON) {
    const answer = JSON.parse(body);
    if ("boolean" in answer) {
      results.append(paragraph(`ASK: ${answer.boolean ? "yes (true)" : "no (false)"}`));
      setStatus(`answered in ${seconds} s`, false);
    } else {
      const rows = answer.results.bindings;
      results.append(resultsTable(answer.head.vars, rows));
      const shown = rows.length > MAX_ROWS ? `, the first ${MAX_ROWS} shown` : "";
      setStatus(`${rows.length} row${rows.length === 1 ? "" : "s"}${shown}, in ${seconds} s`, false);
    }
  } else {
    const pre = document.createElement("pre");
    pre.textContent = body;
    results.append(pre);
    setStatus(`${type}, in ${seconds} s`, false);
  }
}

function resultsTable(variables, rows) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of variables) {
    const cell = document.createElement("th");
    cell.textContent = name;
    head.append(cell);
  }
  const body = table.createTBody();
  for (const binding of rows.slice(0, MAX_ROWS)) {
    const row = body.insertRow();
    for (const name of variables) {
      const cell = row.insertCell();
      const term = binding[name];
      if (term === undefined) {
        cell.className = "unbound";
        cell.textContent = "";
      } else {
        cell.className = term.type === "uri" ? "uri" : term.type;
        cell.textContent = termText(term);
        if (term.type === "literal" && term.datatype) {
          cell.title = term.datatype;
        }
      }
    }
  }
  return table;
}

function termText(term) {
  if (term.type === "bnode") {
    return `_:${term.value}`;
  }
  if (term.type === "triple") {
    const part = term.value;
    return `<< ${termText(part.subject)} ${termText(part.predicate)} ${termText(part.object)} >>`;
  }
  if (term.type === "literal" && term["xml:lang"]) {
    return `${term.value} @${term["xml:lang"]}`;
  }
  return term.value;
}

async function loadCannedQueries() {
  let listing;
  try {
    const response = await fetch("/queries.json");
    listing = await response.json();
  } catch (error) {
    setStatus(`the canned queries could not be loaded: ${error}`, true);
    return;
  }
  const list = document.getElementById("canned");
  for (const canned of listing.queries) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "canned";
    button.dataset.name = canned.name;
    button.textContent = canned.name;
    button.addEventListener("click", () => {
      document.getElementById("query").value = canned.text;
      runQuery(canned.text);
    });
    item.append(button, document.createTextNode(`: ${canned.description}`));
    if (canned.parameters) {
      const note = document.createElement("span");
      note.className = "parameters";
      note.textContent = ` (parameters: ${canned.parameters}; unbound here, so every value is listed)`;
      item.append(note);
    }
    list.append(item);
  }
  const prefixes = Object.entries(listing.prefixes).map(([p, iri]) => `PREFIX ${p}: <${iri}>`);
  document.getElementById("prefix-list").textContent = prefixes.join("\n");
}

function paragraph(text) {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

function setStatus(text, isError) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}
