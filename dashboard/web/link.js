// "Copy link" (dashboard/share.py): the link to what is on screen, and a button that
// copies it. The page's address bar is kept equal to that link (share.mirror), also
// when only the explorer's walk reran (moving t reruns that part of the page alone,
// not this box): so the box shows the address bar, checked a few times a second,
// rather than the link the server wrote when the box was last drawn. While training
// live the address bar is left alone and the server's link (redrawn on every refresh)
// is shown.
function text(data) {
  return data.live ? data.link : window.location.href;
}

function build(parentElement) {
  const box = document.createElement("div");
  box.className = "bptt-link";
  Object.assign(box.style, { display: "flex", gap: "0.5rem", alignItems: "center" });
  const field = document.createElement("input");
  field.type = "text";
  field.readOnly = true;
  field.setAttribute("aria-label", "Link to this view");
  Object.assign(field.style, { flex: "1 1 auto", minWidth: "18rem", fontFamily: "monospace",
                               fontSize: "14px", padding: "0.35rem 0.5rem",
                               border: "1px solid #cdd2db", borderRadius: "0.4rem" });
  field.addEventListener("focus", () => field.select());
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Copy";
  Object.assign(button.style, { fontSize: "14px", padding: "0.35rem 0.8rem",
                                border: "1px solid #cdd2db", borderRadius: "0.4rem",
                                background: "white", cursor: "pointer" });
  button.addEventListener("click", () => {
    const done = () => { button.textContent = "Copied"; setTimeout(() => {
      button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, () => {});
    } else {                       // plain http on a classroom network: no clipboard API
      field.focus();
      field.select();
      if (document.execCommand("copy")) done();
    }
  });
  box.append(field, button);
  parentElement.appendChild(box);
  return box;
}

export default function ({ data, parentElement }) {
  const box = parentElement.querySelector("div.bptt-link") || build(parentElement);
  box.bpttData = data;
  const field = box.firstChild;
  const update = () => {
    const want = text(box.bpttData);
    if (field.value !== want) field.value = want;
  };
  update();
  if (!box.bpttTimer) {
    box.bpttTimer = setInterval(() => {
      if (!box.isConnected) { clearInterval(box.bpttTimer); box.bpttTimer = null; return; }
      update();
    }, 400);
  }
  return undefined;
}
