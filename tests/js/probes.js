// What the browser tests (tests/test_browser.py, test_serve.py, test_handout.py) and
// bench/classroom.py read off a page. Installed before the page loads, with
// add_init_script(path=...), as window.bpttProbes; Python names a probe and Playwright
// calls it with its argument (a locator's evaluate passes the element first):
//     page.wait_for_function("bpttProbes.iterationIs", arg=2)
window.bpttProbes = {
  // -- Streamlit
  // No script is running: the status widget is gone, or reads neither "Running..." nor
  // (narrower) just "Stop".
  scriptIdle() {
    const status = document.querySelector('[data-testid="stStatusWidget"]');
    return !status || !/Running|Stop/.test(status.innerText);
  },
  noSkeletons() {
    return document.querySelectorAll('[data-testid="stSkeleton"]').length === 0;
  },
  // Run is offered again, enabled (after Pause).
  runOffered() {
    return [...document.querySelectorAll("button")]
      .some((b) => b.innerText.trim() === "Run" && !b.disabled);
  },
  scrollMainToTop() {
    document.querySelector('[data-testid="stMain"]')?.scrollTo(0, 0);
  },
  includes(text) {
    return document.body.innerText.includes(text);
  },
  // Elements' text (plotly pads some with zero-width spaces) and inline backgrounds:
  // for a locator's evaluate_all.
  texts(els) {
    return els.map((e) => e.textContent.replaceAll("\u200b", ""));
  },
  backgrounds(els) {
    return els.map((e) => e.style.background);
  },

  // -- the iteration the status line shows ("· iteration 1,234"), or null
  iteration() {
    const m = document.body.innerText.match(/· iteration\s+([\d,]+)/);
    return m ? parseInt(m[1].replace(/,/g, ""), 10) : null;
  },
  iterationIs(n) {
    return window.bpttProbes.iteration() === n;
  },
  iterationAbove(n) {
    const shown = window.bpttProbes.iteration();
    return shown !== null && shown > n;
  },

  // -- charts (dashboard/plotly_element.js draws div.bptt-plot; plotly adds .js-plotly-plot)
  noPendingCharts() {
    return !document.querySelector("div.bptt-plot[data-pending]");
  },
  // Mark every chart drawn so far: a chart redrawn in a new element loses the mark.
  markCharts(value) {
    document.querySelectorAll(".js-plotly-plot").forEach((div) => {
      div.dataset.probe = value;
    });
  },
  markChart(div, value) {
    div.dataset.probe = value;
  },
  // A chart's mark and the x0 of its "current t" outline(s).
  outline(div) {
    return {
      probe: div.dataset.probe,
      x0: div.layout.shapes.filter((s) => s.name === "current t").map((s) => s.x0),
    };
  },
  // Each bptt-plot element: waiting to be drawn, deferred (off screen), where it is,
  // whether what it shows is the newest figure sent, and its title.
  chartStates(divs) {
    return divs.map((d) => ({
      pending: d.dataset.pending ?? null,
      deferred: d.dataset.deferred ?? null,
      top: d.getBoundingClientRect().top,
      current: d.bpttDrawnSpec === d.bpttWant.spec,
      title: d.layout?.title?.text ?? "",
    }));
  },
  firstXRange() {
    return document.querySelector(".js-plotly-plot").layout.xaxis.range;
  },
  // How many charts there are, how many still carry a mark, how much text is shown.
  drawn() {
    return {
      charts: document.querySelectorAll(".js-plotly-plot").length,
      kept: document.querySelectorAll(".js-plotly-plot[data-probe]").length,
      text: document.querySelector('[data-testid="stMain"]').innerText.length,
    };
  },

  // -- the offline handout (dashboard/handout.py's page)
  handoutReady() {
    return document.body?.dataset.ready === "1";
  },
  plotlyLoaded() {
    return !!window.Plotly;
  },
  shownT() {
    return document.body.dataset.t;
  },
  chartTitle(id) {
    return document.getElementById(id).layout.title.text;
  },
  chartOutline(id) {
    return document.getElementById(id).layout.shapes
      .filter((s) => s.name === "current t").map((s) => s.x0);
  },
};
