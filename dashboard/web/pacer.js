// The pacer of dashboard/live.py: asks for the next live refresh once the page has
// painted this one (and its off-screen charts have caught up). Why: live.py's docstring.
const CYCLE_SHARE = 3;

export default function ({ data, parentElement, setTriggerValue }) {
  const root = parentElement;
  clearTimeout(root.bpttTimer);
  const mine = root.bpttRender = (root.bpttRender ?? 0) + 1;   // a newer render wins
  if (!data.live) { root.bpttAsked = null; return; }
  const ask = () => {
    if (root.bpttRender !== mine) return;
    // a refresh cycle (request, server, page) takes at most a third of the time, so
    // the page's drawing does not starve training of the machine's cores
    const now = performance.now();
    const cycle = root.bpttAsked ? now - root.bpttAsked : 0;
    const wait = Math.max(data.period_ms, CYCLE_SHARE * cycle) - cycle;
    const go = () => {
      if (root.bpttRender !== mine) return;
      root.bpttAsked = performance.now();
      // the last cycle goes to the server, which paces every page of the class
      setTriggerValue("drawn", { seq: data.seq, cycle_ms: Math.round(cycle) });
    };
    root.bpttTimer = setTimeout(() => whenNoClick(go, performance.now()), Math.max(0, wait));
  };
  // While the server answers someone's click (its notice says so, dashboard/live.py),
  // wait before asking, at most hold_ms: the click is answered first
  const whenNoClick = (go, since) => {
    if (!data.hold_url || performance.now() - since > data.hold_ms) return go();
    fetch(`${data.hold_url}?t=${Date.now()}`, { cache: "no-store" })
      .then((r) => (r.ok ? r.json() : { answering: false }))
      .catch(() => ({ answering: false }))
      .then((notice) => {
        if (root.bpttRender !== mine) return;
        if (notice.answering) root.bpttTimer = setTimeout(() => whenNoClick(go, since), 150);
        else go();
      });
  };
  // Charts off screen, drawn in idle time (plotly_element), must have caught up too:
  // their drawing is part of the cycle (at most 2 s of waiting for them)
  const caughtUp = (since) => {
    if (root.bpttRender !== mine) return;
    if (!document.querySelector("div.bptt-plot[data-pending]")
        || performance.now() - since > 2000) ask();
    else root.bpttTimer = setTimeout(() => caughtUp(since), 50);
  };
  // after the browser has painted this refresh (a hidden tab paints nothing: go on
  // at the timer's pace there, so training does not stop)
  if (document.hidden) ask();
  else requestAnimationFrame(() => requestAnimationFrame(() => caughtUp(performance.now())));
}
