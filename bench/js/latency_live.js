// Live training watched frame by frame (bench/browser_latency.py live()): iterations
// shown, charts remounted or faded, blank frames, whether a zoomed chart survives.
async ([SEL, ITERATION_RE, TIMESTEP_RE, seconds, zoomSel]) => {
  const L = window.__lat, snap = L.snapshot;
  L.removedPlots = 0;
  const main = document.querySelector(SEL.main);
  const handle = main.querySelector(SEL.plot);
  const zoomDiv = document.querySelector(zoomSel)?.querySelector(SEL.plot);
  const start = performance.now();
  let its = [], frames = 0, maxPlots = 0, lowPlots = 1e9, fewer = 0, faded = 0;
  let blankMs = 0, longestBlank = 0, blankSince = null, lastFrame = start, longestGap = 0;
  while (performance.now() - start < seconds * 1000) {
    await new Promise(r => requestAnimationFrame(r));
    const now = performance.now(), s = snap(SEL, ITERATION_RE, TIMESTEP_RE);
    frames++; longestGap = Math.max(longestGap, now - lastFrame); lastFrame = now;
    if (s.iteration !== null) its.push([now, s.iteration]);
    maxPlots = Math.max(maxPlots, s.plots); lowPlots = Math.min(lowPlots, s.plots);
    if (s.plots < maxPlots) fewer++;
    if (s.stale > 0) faded++;
    const blank = s.plots === 0 && s.panelText <= 0;
    if (blank && blankSince === null) blankSince = now;
    if (!blank && blankSince !== null) {
      longestBlank = Math.max(longestBlank, now - blankSince);
      blankMs += now - blankSince; blankSince = null; }
  }
  const zoomNow = document.querySelector(zoomSel)?.querySelector(SEL.plot);
  const xr = d => d && d._fullLayout ? {auto: d._fullLayout.xaxis.autorange,
                                         range: d._fullLayout.xaxis.range} : null;
  return {its, frames, maxPlots, lowPlots, fewer, faded, blankMs, longestBlank, longestGap,
          removed: L.removedPlots, handleSurvived: !!handle && handle.isConnected,
          zoomDivSurvived: !!zoomDiv && zoomDiv.isConnected, zoomAfter: xr(zoomNow)};
}
