// The run page's live timeline: follows /runs/ID/events (server-sent events, each an audit
// event the worker recorded, from the last one the page showed) and appends a row per event,
// built with textContent (event data is hostile: never innerHTML). The kind checkboxes hide
// and show rows of a kind, live rows included.
/* global document, EventSource, fetch */
(function () {
  "use strict";
  const dataNode = document.getElementById("run-data");
  if (!dataNode) return;
  const run = JSON.parse(dataNode.textContent);
  const timeline = document.getElementById("timeline");
  const live = document.getElementById("live");
  const hidden = new Set();

  function apply(row) {
    row.hidden = hidden.has(row.dataset.kind);
  }

  for (const box of document.querySelectorAll("#kinds input[name=kind]")) {
    box.addEventListener("change", function () {
      if (box.checked) hidden.delete(box.value);
      else hidden.add(box.value);
      for (const row of timeline.querySelectorAll(".event")) apply(row);
    });
  }

  function span(cls, text) {
    const s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function append(item) {
    if (timeline.querySelector('.event[data-seq="' + item.seq + '"]')) return;
    const row = document.createElement("div");
    row.className = "event";
    row.dataset.kind = item.kind;
    row.dataset.seq = String(item.seq);
    row.append(span("seq", String(item.seq)), " ", span("kind", "[" + item.kind + "]"), " ");
    row.append(span("type", item.type));
    if (item.step !== null) row.append(" ", span("step", "step " + item.step));
    row.append(" ", span("summary", item.summary));
    apply(row);
    timeline.append(row);
  }

  // The chain check comes on its own: on a long run it is the costliest part of the page.
  function showCheck(id, line) {
    const node = document.getElementById(id);
    if (!node || !line) return;
    node.className = line.status;
    node.textContent = line.text;
  }
  fetch("/runs/" + encodeURIComponent(run.id) + "/chain", { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (check) {
      showCheck("chain", check.chain);
      showCheck("signature", check.signature);
    })
    .catch(function (error) {
      showCheck("chain", {
        status: "bad",
        text: "The chain check could not be fetched: " + error.message,
      });
    });

  const source = new EventSource(
    "/runs/" + encodeURIComponent(run.id) + "/events?after=" + run.lastSeq,
  );
  source.addEventListener("audit", function (message) {
    append(JSON.parse(message.data));
    live.textContent = "live · " + timeline.children.length + " events";
  });
  source.addEventListener("open", function () {
    live.textContent = "live";
  });
  source.addEventListener("error", function () {
    live.textContent = "reconnecting…";
  });
})();
