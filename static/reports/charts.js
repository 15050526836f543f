/* Draws every <canvas class="mc-chart" data-source="ID"> with Chart.js from the JSON that
   the page put in <script type="application/json" id="ID"> (json_script): no inline script,
   so the Content-Security-Policy stays strict. A drawn canvas gets data-rendered="true". */
(function () {
  "use strict";
  var PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563", "#db2777"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.source);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = PALETTE[index % PALETTE.length];
      return {
        label: dataset.label,
        data: dataset.data,
        borderColor: colour,
        backgroundColor: spec.type === "line" ? colour : colour + "cc",
        tension: 0.2,
        pointRadius: spec.type === "line" ? 2 : undefined,
      };
    });
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { display: datasets.length > 1 } },
      },
    });
    canvas.dataset.rendered = "true";
  }

  function drawAll() {
    document.querySelectorAll("canvas.mc-chart").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
