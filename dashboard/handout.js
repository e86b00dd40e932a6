// The handout's page script (dashboard/handout.py inlines it). It reads the window's data
// from the JSON element #bptt-data and redraws the selected timestep: the strip, the
// sentences, the tables and the charts; the whole-window charts only move their outline.
// No network: plotly.js is inline, plain or gzip-compressed (#plotly-gzip).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("bptt-data").textContent);
  var T = data.steps.length;
  var t = data.start;
  var config = {displaylogo: false, responsive: true,
                modeBarButtonsToRemove: ["lasso2d", "select2d"]};
  var slider = document.getElementById("t-slider");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var label = document.getElementById("t-label");

  function direction() {
    return document.querySelector("input[name=direction]:checked").value === "backward"
      ? -1 : 1;
  }

  function layoutOf(figure) {
    var layout = Object.assign({}, figure.layout);
    layout.template = data.template;
    return layout;
  }

  function setHTML(id, html) {
    var element = document.getElementById(id);
    if (element) element.innerHTML = html || "";
  }

  function moveOutline(div) {
    // the whole-window figures mark the selected t with shapes named "current t"
    var shapes = (div.layout && div.layout.shapes) || [];
    var update = {};
    shapes.forEach(function (shape, i) {
      if (shape.name === "current t") {
        update["shapes[" + i + "].x0"] = t - 0.5;
        update["shapes[" + i + "].x1"] = t + 0.5;
      }
    });
    if (Object.keys(update).length) window.Plotly.relayout(div, update);
  }

  function drawCharts(first) {
    if (!window.Plotly) return;
    var figures = data.steps[t].figures;
    Object.keys(figures).forEach(function (name) {
      var figure = figures[name];
      window.Plotly.react("chart-" + name, figure.data, layoutOf(figure), config);
    });
    if (first) {
      Object.keys(data.window).forEach(function (name) {
        var figure = data.window[name];
        window.Plotly.newPlot("chart-" + name, figure.data, layoutOf(figure), config);
      });
    }
    Object.keys(data.window).forEach(function (name) {
      moveOutline(document.getElementById("chart-" + name));
    });
  }

  function show(first) {
    var step = data.steps[t];
    setHTML("strip", step.strip);
    setHTML("forward", step.forward);
    setHTML("backward", step.backward);
    setHTML("tables-forward", step.tables_forward);
    setHTML("tables-backward", step.tables_backward);
    document.getElementById("forward-title").textContent = "Forward at t = " + t;
    document.getElementById("backward-title").textContent = "Backward at t = " + t;
    var d = direction();
    var before = t - d, after = t + d;
    slider.value = t;
    label.textContent = "t = " + t;
    prev.disabled = before < 0 || before >= T;
    next.disabled = after < 0 || after >= T;
    prev.textContent = prev.disabled ? "◀ Previous" : "◀ Previous (t=" + before + ")";
    next.textContent = next.disabled ? "Next ▶" : "Next (t=" + after + ") ▶";
    drawCharts(first);
    document.body.dataset.t = String(t);          // for tests and for print
  }

  function go(to) {
    t = Math.min(Math.max(to, 0), T - 1);
    show(false);
  }

  function start() {
    slider.max = T - 1;
    if (!window.Plotly) document.getElementById("plotly-missing").hidden = false;
    slider.addEventListener("input", function () { go(Number(slider.value)); });
    prev.addEventListener("click", function () { go(t - direction()); });
    next.addEventListener("click", function () { go(t + direction()); });
    document.querySelectorAll("input[name=direction]").forEach(function (radio) {
      radio.addEventListener("change", function () { go(direction() < 0 ? T - 1 : 0); });
    });
    document.addEventListener("keydown", function (event) {
      if (event.target === slider) return;        // the slider moves itself
      if (event.key === "ArrowLeft") go(t - 1);
      if (event.key === "ArrowRight") go(t + 1);
    });
    show(true);
    document.body.dataset.ready = "1";
  }

  function inflatePlotly(element) {
    // the full plotly.js, gzip-compressed: inflated by the browser, then run
    var bytes = Uint8Array.from(atob(element.textContent.trim()), function (c) {
      return c.charCodeAt(0);
    });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(function (source) {
      var script = document.createElement("script");
      script.textContent = source;
      document.head.appendChild(script);
    });
  }

  var packed = document.getElementById("plotly-gzip");
  if (!window.Plotly && packed && window.DecompressionStream) {
    inflatePlotly(packed).then(start, start);
  } else {
    start();
  }
})();
