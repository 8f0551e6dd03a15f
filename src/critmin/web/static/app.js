// critmin dashboard: draws the figures embedded in each page with plotly.js (served by this server).
// No inline script: the Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";
  var CONFIG = {
    displaylogo: false,
    responsive: true,
    // the world map is the bundled Natural Earth 1:110m TopoJSON, never the plotly CDN
    topojsonURL: "/static/topo/",
    // plotly.js 4 shows a "Share chart..." button by default that opens cloud.plotly.com and posts the figure
    // there: nothing on this dashboard may leave the machine
    showSendToCloud: false,
    plotlyServerURL: "",
    modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud", "sendChartToCloud"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    var plots = document.querySelectorAll("[data-figure]");
    Array.prototype.forEach.call(plots, function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) { return; }
      var fig = JSON.parse(source.textContent);
      var config = CONFIG;
      if (el.parentNode.clientWidth < el.clientWidth) {
        // the chart is wider than the screen (a phone): a swipe scrolls it instead of zooming
        fig.layout.dragmode = false;
        config = Object.assign({}, CONFIG, { scrollZoom: false });
      }
      Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
        el.setAttribute("data-rendered", "true");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
