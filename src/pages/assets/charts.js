// Draws the run page's AI-health charts with uPlot, from the series the server put in the
// page (#health-data): one chart per entry, steps on the x axis, one line per series.
/* global document, uPlot */
(function () {
  "use strict";
  const node = document.getElementById("health-data");
  if (!node || typeof uPlot === "undefined") return;
  const health = JSON.parse(node.textContent);
  const colours = ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#57606a"];

  for (const chart of health.charts) {
    const target = document.getElementById("chart-" + chart.id);
    if (!target) continue;
    // uPlot wants one x array shared by all series: the union of the steps, each series'
    // value at a step or null (a gap) where it has none.
    const steps = Array.from(new Set(chart.series.flatMap((s) => s.points.map((p) => p[0])))).sort(
      (a, b) => a - b,
    );
    if (steps.length === 0) {
      target.textContent = "No data yet.";
      continue;
    }
    const data = [steps];
    for (const s of chart.series) {
      const at = new Map(s.points.map((p) => [p[0], p[1]]));
      data.push(steps.map((x) => (at.has(x) ? at.get(x) : null)));
    }
    const series = [{ label: "step" }].concat(
      chart.series.map((s, i) => ({
        label: s.name,
        stroke: colours[i % colours.length],
        width: 1.5,
      })),
    );
    new uPlot(
      { width: 420, height: 200, series: series, scales: { x: { time: false } } },
      data,
      target,
    );
  }
})();
