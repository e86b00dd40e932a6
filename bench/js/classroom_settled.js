// Whether the page has settled on an iteration other than `before` (bench/classroom.py):
// the script stopped, no chart pending or still without its element.
(before) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-script-state") === "running") return false;
  if (document.querySelector("div.bptt-plot[data-pending]")) return false;
  // a chart element whose script has not yet made its chart (its module still loading)
  for (const box of document.querySelectorAll('[class*="st-key-plot_"]'))
    if (!box.querySelector("div.bptt-plot")) return false;
  const shown = window.bpttProbes.iteration();     // tests/js/probes.js, installed first
  return shown !== null && shown !== before;
}
