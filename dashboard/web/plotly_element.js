// The chart element of dashboard/plotly_element.py (Streamlit components v2): one <div>
// per chart for the life of the page, redrawn in place with Plotly.react. Why each part
// is as it is: the module's docstring and docs/architecture.md.
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__bpttPlotly) {
    window.__bpttPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__bpttPlotly = null; reject(new Error(url)); };
      document.head.appendChild(script);
    });
  }
  return window.__bpttPlotly;
}

// The outline of the selected timestep (shapes named "current t") moved to column
// ``mark``: moving t then redraws one outline instead of the whole figure.
function marked(shapes, mark) {
  if (mark === null || mark === undefined || !shapes) return shapes;
  return shapes.map((s) => s.name === "current t" ? { ...s, x0: mark - 0.5, x1: mark + 0.5 } : s);
}

// Figures this page has received, by digest, the most recently used last: the server
// sends a figure's JSON once and afterwards only its digest (see plotly_chart).
const SPECS = window.__bpttSpecs || (window.__bpttSpecs = new Map());
const KEEP = 120;

function specFor(chart) {
  const spec = chart.spec ?? SPECS.get(chart.digest);
  if (spec === undefined) return undefined;
  SPECS.delete(chart.digest);
  SPECS.set(chart.digest, spec);
  while (SPECS.size > KEEP) SPECS.delete(SPECS.keys().next().value);
  return spec;
}

// Charts on screen are drawn at once; those near the screen (within NEAR_MARGIN of it)
// when the page is idle; the rest only when they come near: a chart nobody can see is
// not drawn on every Step and live refresh. A Step in the explorer changes ten charts
// and a screen shows two or three: drawing the rest first made every click wait for
// them (bench/browser_latency.py), and drawing them in idle time kept each page of a
// class painting charts no one looked at (bench/classroom.py). A chart whose newest
// figure is to be drawn now or in idle time carries data-pending="1"; one that waits
// to come near carries data-deferred="1".
const WAITING = window.__bpttWaiting || (window.__bpttWaiting = new Set());
// On screen only, no margin: with 200 px, the charts just below the fold were drawn in
// the click's path (Step in the explorer 305 -> 258 ms).
const SEEN = window.__bpttSeen || (window.__bpttSeen = new IntersectionObserver((entries) => {
  if (entries.some((e) => !e.target.isConnected)) sweep();    // a view was left
  for (const e of entries) {
    e.target.bpttOnScreen = e.isIntersecting;
    if (e.isIntersecting) draw(e.target);
    else if (e.target.dataset.pending) later(e.target);
  }
}));
// Near: within half a screen above or below it, so a chart scrolled to is usually drawn
// already. Streamlit scrolls the views inside its main element, so the margin is given
// to scroll containers too (scrollMargin; a browser without it draws a chart when it
// comes on screen).
const NEAR_MARGIN = "50% 0px";
const NEAR = window.__bpttNear || (window.__bpttNear = new IntersectionObserver((entries) => {
  if (entries.some((e) => !e.target.isConnected)) sweep();
  for (const e of entries) {
    const div = e.target;
    div.bpttNear = e.isIntersecting;
    if (div.bpttOnScreen) continue;                    // SEEN draws it
    if (e.isIntersecting && div.dataset.deferred) later(div);
    else if (!e.isIntersecting && div.dataset.pending) defer(div);
  }
}, { rootMargin: NEAR_MARGIN, scrollMargin: NEAR_MARGIN }));

function defer(div) {                 // far from the screen: drawn when it comes near
  WAITING.delete(div);
  delete div.dataset.pending;
  div.dataset.deferred = "1";
}

const whenIdle = window.requestIdleCallback?.bind(window) ??    // not in Safari
  ((then) => setTimeout(then, 50));

function later(div) {
  if (div.bpttNear === false) return defer(div);
  delete div.dataset.deferred;
  div.dataset.pending = "1";
  WAITING.add(div);
  if (!window.__bpttIdle) window.__bpttIdle = whenIdle(drawOneWaiting, { timeout: 1000 });
}

function drawOneWaiting() {            // one chart per idle period: a click stays quick
  window.__bpttIdle = null;
  const first = WAITING.values().next().value;
  if (first && !window.Plotly) {      // plotly.js still loading: the charts on screen first
    loadPlotly(first.bpttWant.url).then(() => later(first),
                                        () => [...WAITING].forEach(draw));  // says why
    return;
  }
  for (const div of WAITING) {
    if (div.isConnected) { draw(div); break; }     // draw takes it off the list
    WAITING.delete(div);
    SEEN.unobserve(div);
    NEAR.unobserve(div);
  }
  if (WAITING.size && !window.__bpttIdle)
    window.__bpttIdle = whenIdle(drawOneWaiting, { timeout: 1000 });
}

// Plotly does not wrap a title: a long one ran off a half-width chart at 1280 px. Break
// the title and subtitle at spaces to the chart's width (tags do not count: <sub>,
// <b>), and give the extra lines room above the plot.
const CHAR_EM = 0.53;          // Source Sans' mean character width, in em

function wrapped(text, size, width) {
  if (!text || !width) return [text, 0];
  const most = Math.max(12, Math.floor(width / (CHAR_EM * size)));
  const lines = [];
  for (const part of text.split("<br>")) {
    let line = "", length = 0;
    for (const word of part.split(/ (?![^<]*>)/)) {       // not at a space inside a tag
      const n = word.replace(/<[^>]*>/g, "").length;
      if (!line) { line = word; length = n; }
      else if (length + 1 + n > most) { lines.push(line); line = word; length = n; }
      else { line += " " + word; length += 1 + n; }
    }
    lines.push(line);
  }
  return [lines.join("<br>"), lines.length - text.split("<br>").length];
}

// The legend above the plot (style.layout's default): its rows, estimated the same way.
function legendRows(fig, width, size) {
  const layout = fig.layout, legend = layout.legend ?? {};
  const entries = (fig.data ?? []).filter((t) => t.showlegend !== false && t.name);
  if (layout.showlegend === false || entries.length < 2 || !(legend.y >= 1)
      || legend.yanchor !== "bottom" || legend.orientation !== "h") return 0;
  let rows = 1, used = 0;
  for (const t of entries) {
    const w = 40 + CHAR_EM * size * t.name.replace(/<[^>]*>/g, "").length;
    if (used && used + w > width) { rows += 1; used = w; } else used += w;
  }
  return rows;
}

function fitTitle(fig, width) {
  const layout = fig.layout, look = layout.template?.layout ?? {};
  const title = layout.title;
  if (!title || !title.text || !width) return;
  const size = title.font?.size ?? look.title?.font?.size ?? 16;
  const [text] = wrapped(title.text, size, width - 10);
  title.text = text;
  let top = 8 + size + text.split("<br>").length * size * 1.3;
  if (title.subtitle?.text) {
    const sub = title.subtitle.font?.size ?? look.title?.subtitle?.font?.size ?? 14;
    const [subText] = wrapped(title.subtitle.text, sub, width - 10);
    title.subtitle.text = subText;
    top += subText.split("<br>").length * sub * 1.3 + sub;
  }
  const legendSize = layout.legend?.font?.size ?? look.legend?.font?.size ?? 14;
  top += legendRows(fig, width, legendSize) * legendSize * 1.6 + 6;
  // the title at the top of the chart (plotly centres it in the top margin; anchored
  // at its top, a title of several lines is placed by its first line's middle: pad it)
  Object.assign(title, { y: 1, yref: "container", yanchor: "top", pad: { t: 6 + size } });
  const before = layout.margin?.t ?? 80;
  if (top > before) {
    layout.margin = { ...(layout.margin ?? {}), t: top };
    if (layout.height) layout.height += top - before;
  }
}

function draw(div) {
  const want = div.bpttWant;
  WAITING.delete(div);
  delete div.dataset.deferred;
  if (!want || (div.bpttSpec === want.spec && div.bpttMark === want.mark)) return;
  div.dataset.pending = "1";               // (a deferred chart scrolled into view)
  div.bpttSpec = want.spec;                // the figure being drawn, and its outline
  div.bpttMark = want.mark;
  const latest = () => div.bpttSpec === want.spec && div.bpttMark === want.mark;
  loadPlotly(want.url).then((Plotly) => {
    if (!latest()) return;                               // a newer one is drawn
    if (div.bpttDrawnSpec === want.spec)                 // only the outline of t moved
      return Plotly.relayout(div, { shapes: marked(div.layout.shapes, want.mark) });
    const fig = JSON.parse(want.spec);
    fig.layout.shapes = marked(fig.layout.shapes, want.mark);
    fitTitle(fig, div.clientWidth);
    return Plotly.react(div, fig.data, fig.layout, want.config)
      .then(() => { div.bpttDrawnSpec = want.spec; });
  }).then(() => {
    // its view was left while it was drawn (a slow draw on a loaded machine): plotly
    // has just added its resize listener to a chart no sweep will see again
    if (!div.isConnected) return release(div);
    if (latest() && div.bpttWant === want) delete div.dataset.pending;
  }).catch((err) => {
    div.bpttSpec = null;
    delete div.dataset.pending;
    delete div.dataset.deferred;
    div.textContent = "This chart could not be drawn: plotly.js did not load (" +
      err.message + "). Reload the page; if it persists, start the app with `make run`.";
  });
}

// One element draws a grid of charts: columns side by side (stacked when the page is
// narrow), each a list of charts with the line that says what to notice under each.
// One element instead of one per chart and one per caption: every Streamlit element
// costs the page a React render on every run (bench/browser_latency.py: the walk's
// four charts and captions as one element, Previous/Next 149-177 -> 127-132 ms).
const COLUMN_GAP = "4rem";      // st.columns(gap="large"), so the grid lines up with them

// Every chart div made, until it has left the page (another view, another arrangement):
// plotly keeps a window resize listener for each responsive chart and the observer its
// target, so without sweeping them every switch of view kept the old view's charts in
// memory (JS heap +2.7 MB per Training -> explorer -> Training round trip, never freed).
// Swept when a chart element renders, when the observers see a chart leave the page,
// and shortly after the page removes nodes: React can unmount the view one left after
// the new view's charts have rendered, and a chart that was never near the screen
// leaves without any observer reporting it (on a loaded machine the old view's charts
// then stayed until the next render).
const MADE = window.__bpttMade || (window.__bpttMade = new Set());
const SWEEP_AFTER_MS = 200;       // one sweep per burst of removals, not one per node
if (!window.__bpttRemovals) {
  window.__bpttRemovals = new MutationObserver((records) => {
    if (!MADE.size || window.__bpttSweepSoon) return;
    if (!records.some((r) => r.removedNodes.length)) return;
    window.__bpttSweepSoon = setTimeout(() => {
      window.__bpttSweepSoon = null;
      sweep();
    }, SWEEP_AFTER_MS);
  });
  window.__bpttRemovals.observe(document.body, { childList: true, subtree: true });
}

function sweep() {
  for (const div of MADE) if (!div.isConnected) release(div);
}

function release(div) {             // a chart that has left the page
  MADE.delete(div);
  WAITING.delete(div);
  SEEN.unobserve(div);
  NEAR.unobserve(div);
  window.Plotly?.purge(div);
  for (const key of ["bpttWant", "bpttSpec", "bpttMark", "bpttDrawnSpec", "bpttOnScreen",
                     "bpttNear"])
    delete div[key];                  // if it ever came back, it is drawn anew
}

function grid(parentElement, columns) {
  let box = parentElement.querySelector("div.bptt-charts");
  const shape = columns.map((column) => column.length).join(",");
  if (box && box.dataset.shape === shape) return box;
  if (box) box.remove();            // another arrangement: new cells (rare)
  box = document.createElement("div");
  box.className = "bptt-charts";
  box.dataset.shape = shape;
  Object.assign(box.style, { display: "flex", flexWrap: "wrap", columnGap: COLUMN_GAP,
                             rowGap: "1rem", width: "100%" });
  for (const column of columns) {
    const col = document.createElement("div");
    Object.assign(col.style, { flex: "1 1 20rem", minWidth: "0", display: "flex",
                               flexDirection: "column", gap: "1rem" });
    for (const _ of column) {
      const cell = document.createElement("div");
      const div = document.createElement("div");
      div.className = "bptt-plot";
      div.style.width = "100%";
      const caption = document.createElement("div");
      caption.className = "bptt-caption";
      Object.assign(caption.style, { fontSize: "0.875rem", lineHeight: "1.5",  // st.caption
                                     color: "var(--st-text-color, #31333f)", opacity: "0.6",
                                     overflowWrap: "break-word" });
      cell.append(div, caption);
      col.appendChild(cell);
    }
    box.appendChild(col);
  }
  parentElement.appendChild(box);
  return box;
}

function show(div, chart, data, setTriggerValue) {
  MADE.add(div);
  const spec = specFor(chart), mark = chart.mark;
  if (spec === undefined) {            // forgotten (rare): ask the server for it whole
    if (div.bpttMissing !== chart.digest) setTriggerValue("missing", chart.digest);
    div.bpttMissing = chart.digest;
    return;
  }
  const want = div.bpttWant;
  if (want && want.spec === spec && want.mark === mark) return;  // nothing changed
  div.bpttWant = { spec, mark, url: data.url, config: data.config };
  if (!div.style.minHeight) div.style.minHeight = chart.height + "px";
  if (div.bpttSpec === spec && div.bpttMark === mark) {   // back to what is drawn
    WAITING.delete(div);
    delete div.dataset.pending;
    delete div.dataset.deferred;
    return;
  }
  if (div.bpttOnScreen === undefined) {  // new: the observers' first reports draw it
    div.dataset.pending = "1";
    div.bpttOnScreen = null;
    SEEN.observe(div);
    NEAR.observe(div);
  } else if (div.bpttOnScreen) {
    div.dataset.pending = "1";
    draw(div);
  } else later(div);
}

export default function ({ data, parentElement, setTriggerValue }) {
  sweep();
  const box = grid(parentElement, data.columns);
  data.columns.forEach((column, i) => column.forEach((chart, j) => {
    const cell = box.children[i].children[j];
    const caption = cell.lastChild;
    if (caption.textContent !== (chart.caption ?? "")) caption.textContent = chart.caption ?? "";
    caption.style.display = chart.caption ? "" : "none";
    show(cell.firstChild, chart, data, setTriggerValue);
  }));
  return undefined;
}
