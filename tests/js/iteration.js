// The iteration the page's status line shows ("· iteration 1,234"), or null
// (tests/test_serve.py, bench/classroom.py).
() => {
  const m = document.body.innerText.match(/· iteration\s+([\d,]+)/);
  return m ? parseInt(m[1].replace(/,/g, "")) : null;
}
