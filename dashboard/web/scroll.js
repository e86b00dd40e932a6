// dashboard/scroll.py: scroll the page to an element of a view (the tour's stops).
const SPAN = 700;    // the explorer's dh chart and its caption, in pixels
export default function ({ data, parentElement }) {
  const root = parentElement;
  if (!data.anchor || root.bpttScrolled === data.seq) return;
  root.bpttScrolled = data.seq;
  const started = performance.now();
  const go = () => {
    if (root.bpttScrolled !== data.seq) return;        // a newer request won
    const el = document.getElementById(data.anchor);
    if (!el) {
      if (performance.now() - started < 4000) setTimeout(go, 100);
      return;
    }
    // just below whatever sticks at the top (the tour's own box), else the header bar
    const box = data.below ? document.querySelector(data.below) : null;
    const top = box ? box.getBoundingClientRect().bottom + 8 : 64;
    const rect = el.getBoundingClientRect();
    // "end": the anchor follows what it names (the last SPAN pixels above it): show
    // all of that if it fits, else its top
    const delta = data.align === "end"
      ? Math.min(rect.bottom - (window.innerHeight - 16), rect.bottom - SPAN - top)
      : rect.top - top;
    let pane = el.parentElement;
    while (pane && !/(auto|scroll)/.test(getComputedStyle(pane).overflowY)) {
      pane = pane.parentElement;
    }
    (pane || window).scrollBy({ top: delta, behavior: "smooth" });
  };
  requestAnimationFrame(go);
}
