// Installed in every page before Streamlit's own code (bench/browser_latency.py): input
// timestamps, websocket messages as the main thread receives them, long tasks, chart
// nodes removed, and the page snapshot the watchers read.
(() => {
  const L = window.__lat = {armed: false, t0: null, recv: [], longtasks: [], removedPlots: 0};
  const mark = e => { if (L.armed && L.t0 === null && e.isTrusted) L.t0 = e.timeStamp; };
  for (const type of ["pointerdown", "mousedown", "keydown"])
    window.addEventListener(type, mark, true);
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...a) {
      super(...a);
      this.addEventListener("message", () => L.recv.push(performance.now()));
    }
  };
  try {
    new PerformanceObserver(list => { for (const e of list.getEntries())
      L.longtasks.push([e.startTime, e.duration]); }).observe({type: "longtask"});
  } catch (e) {}
  const plotsIn = nodes => { let n = 0; for (const node of nodes) {
      if (node.nodeType !== 1) continue;
      if (node.matches(".js-plotly-plot")) n++;
      n += node.querySelectorAll(".js-plotly-plot").length; } return n; };
  new MutationObserver(records => { for (const r of records)
      L.removedPlots += plotsIn(r.removedNodes); })
    .observe(document, {childList: true, subtree: true});
  // Called by name from Python: clocks from the navigation's start (the first screen)
  L.fromNavigation = () => { L.t0 = 0; };
  // Arm for one input: its timestamp (mark) and the counts start afresh.
  L.arm = () => {
    L.armed = true; L.t0 = null; L.mark = performance.now(); L.removedPlots = 0;
  };
  // The watcher's result, once it resolves, with what the page saw on the way.
  L.result = async () => {
    const r = await L.watch;
    r.t0 = L.t0 ?? L.mark; r.nrecv = L.recv.length; r.recv = L.recv;
    r.longtasks = L.longtasks.filter(m => m[0] + m[1] >= r.t0);
    r.removedPlots = L.removedPlots; L.armed = false;
    return r;
  };
  L.snapshotNow = ([SEL, ITERATION_RE, TIMESTEP_RE]) =>
    L.snapshot(SEL, ITERATION_RE, TIMESTEP_RE);
  // The x range of the first chart inside `sel` as plotly holds it, or null.
  L.xRange = (sel) => {
    const d = document.querySelector(sel)?.querySelector(".js-plotly-plot");
    return d && d._fullLayout ? {auto: d._fullLayout.xaxis.autorange,
                                 range: d._fullLayout.xaxis.range} : null;
  };
  // What the page shows now (the watcher reads it every frame; light: only what the
  // blank-frame count needs while the script still runs)
  L.snapshot = (SEL, ITERATION_RE, TIMESTEP_RE, light) => {
    const app = document.querySelector(SEL.app);
    const main = document.querySelector(SEL.main);
    const state = app ? app.getAttribute("data-test-script-state") : null;
    const runningIcon = !!document.querySelector(SEL.running_icon);
    if (light && (state !== "notRunning" || runningIcon)) {
      // still running, so not settled: only what the blank-frame count needs. The full
      // snapshot (page text, chart rectangles) each frame cost the page ~50 ms per click.
      const plots = main ? main.querySelectorAll(SEL.plot).length : 0;
      const panel = plots || !main ? null : [...main.querySelectorAll(SEL.tabpanel)]
          .find(p => !p.hidden && p.offsetParent !== null);
      return {state, runningIcon, plots, panelText: plots ? 1 : panel ?
              panel.textContent.trim().length : -1};
    }
    const text = main ? main.textContent : "";
    const it = text.match(new RegExp(ITERATION_RE));
    const ts = text.match(new RegExp(TIMESTEP_RE));
    const plots = main ? [...main.querySelectorAll(SEL.plot)] : [];
    const pending = main ? [...main.querySelectorAll(SEL.chart)]
        .filter(d => d.dataset.pending) : [];
    const onScreen = d => { const r = d.getBoundingClientRect();
        return r.width > 0 && r.bottom > 0 && r.top < window.innerHeight; };
    const shown = plots.filter(onScreen);
    const panel = main && [...main.querySelectorAll(SEL.tabpanel)]
        .find(p => !p.hidden && p.offsetParent !== null);
    return {
      state, runningIcon,
      stale: document.querySelectorAll(SEL.stale).length,
      plots: plots.length,
      drawn: plots.filter(p => p.querySelector(".main-svg") && p._fullLayout).length,
      pendingOnScreen: pending.filter(onScreen).length,
      plotsOnScreen: shown.length,
      pending: pending.length,
      iteration: it ? Number(it[1]) : null,
      t: ts ? Number(ts[1]) : null,
      panelText: panel ? panel.textContent.trim().length : -1,
      text: text,
    };
  };
})();
