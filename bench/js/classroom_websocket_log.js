// Timestamps (the page's clock) of the websocket's messages, for --profile
// (bench/classroom.py).
(() => {
  const Native = window.WebSocket;
  window.bpttWs = {
    sent: [],
    received: [],
    mark: null,
    // the start of a Step, for classroom_step_split.js
    markNow() {
      window.bpttWs.mark = performance.now();
    },
  };
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener("message", () => window.bpttWs.received.push(performance.now()));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    window.bpttWs.sent.push(performance.now());
    return send.call(this, data);
  };
})();
