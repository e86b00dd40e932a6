// One Step's (queue, server, page) seconds, timed by the page from the websocket log
// (bench/classroom.py steps()).
() => {
  const now = performance.now(), log = window.bpttWs;
  const sent = log.sent.filter(t => t > log.mark);
  const click = sent.length ? sent[0] : now;
  const got = log.received.filter(t => t >= click);
  if (!got.length) return [0, 0, (now - click) / 1000];
  return [(got[0] - click) / 1000, (got[got.length - 1] - got[0]) / 1000,
          (now - got[got.length - 1]) / 1000];
}
