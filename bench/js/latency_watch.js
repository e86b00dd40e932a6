// The watcher (bench/browser_latency.py): evaluates a condition (one of CONDITIONS, by
// name) on (snapshot now, snapshot before the input) every animation frame; resolves
// with the time the settled state with its final content was first reached, once it has
// held for `quiet` ms. Also counts blank frames on the way.
([SEL, ITERATION_RE, TIMESTEP_RE, condName, before, quiet, timeout]) => {
  const L = window.__lat, snap = L.snapshot;
  const CONDITIONS = {
    first: (s) => s.iteration !== null && s.plots > 0,
    iteration: (s, b) => s.iteration !== null && s.iteration !== b.iteration,
    timestep: (s, b) => s.t !== null && s.t !== b.t,
    text: (s, b) => s.text.includes(b.want),
    tab: (s, b) => document.querySelector("[role=tab][aria-selected=true]")
      ?.textContent.trim() === b.want,
    // the Run button (b.want: its selector, else its label) is enabled again
    paused: (s, b) => {
      const run = document.querySelector(b.want.selector)
        ?? [...document.querySelectorAll("button")]
          .find((x) => x.innerText.trim() === b.want.label);
      return !!run && !run.disabled;
    },
  };
  const cond = CONDITIONS[condName];
  if (!cond) throw new Error(`no condition ${condName}`);
  const settled = s => s.state === "notRunning" && !s.runningIcon && s.stale === 0
                       && s.drawn === s.plots && s.pendingOnScreen === 0;
  const start = performance.now();
  L.watch = new Promise(resolve => {
    let since = null, sig = null, blank = 0, frames = 0, all = null;
    const tick = () => {
      const now = performance.now(), s = snap(SEL, ITERATION_RE, TIMESTEP_RE, true);
      frames++;
      if (s.plots === 0 && s.panelText <= 0) blank++;
      const ok = settled(s) && cond(s, before);     // a light snapshot never settles
      const key = JSON.stringify([s.iteration, s.t, s.plotsOnScreen, s.state]);
      if (!ok) since = null;
      else if (since === null || key !== sig) since = now;
      sig = key;
      if (!ok || s.pending > 0) all = null;
      else if (all === null) all = now;
      const done = since !== null && now - since >= quiet && all !== null;
      if (done || now - start > timeout) {
        delete s.text;
        return resolve({ok: done, at: done ? since : null, all, snap: s, blank, frames});
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}
