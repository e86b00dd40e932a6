// Presentation mode's keys (dashboard/present.py): space = Step, left / right = move the
// timestep t, r (or p) = Run / Pause, Escape = leave presentation mode.
//
// One listener for the page, installed once: it sends through the newest mount of
// this element, and only while that mount is on the page (presentation mode on).
// Keys typed into a text box, a number box or a select are theirs, and a focused
// slider moves itself: those are left alone.
const KEYS = { " ": "step", ArrowLeft: "left", ArrowRight: "right", r: "run", R: "run",
               p: "run", P: "run", Escape: "exit" };
const TYPING = "input, textarea, select, [contenteditable=''], [contenteditable='true'], " +
               "[role='slider'], [role='combobox'], [role='listbox']";

function onKey(event) {
  const mount = window.__bpttKeys;
  if (!mount || !mount.root.isConnected) return;
  if (event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
  const what = KEYS[event.key];
  if (!what) return;
  const target = event.target instanceof Element ? event.target : null;
  if (target && target.closest(TYPING)) return;
  event.preventDefault();                  // no page scroll on space, no button click
  if (target && target.closest("button")) target.closest("button").blur();
  mount.count += 1;
  mount.root.dataset.lastKey = what;       // for tests: the key that was sent
  mount.send("key", `${what}:${mount.count}`);
}

export default function ({ parentElement, setTriggerValue }) {
  const mount = window.__bpttKeys || (window.__bpttKeys = { count: 0 });
  let root = parentElement.querySelector("div.bptt-keys");
  if (!root) {                   // a marker the listener checks is still on the page
    root = document.createElement("div");
    root.className = "bptt-keys";
    parentElement.appendChild(root);
  }
  mount.root = root;
  mount.send = setTriggerValue;
  if (!window.__bpttKeysListening) {
    document.addEventListener("keydown", onKey);
    window.__bpttKeysListening = true;
  }
  return undefined;
}
