"""One layer's recurrence over all T steps as one autograd node, with BPTT written out.

``Recurrence.apply`` takes the layer's input pre-activation xp (T, B, kH), computed by
autograd outside (F.linear, so W_ih and b_ih get their gradients there), and runs

    rnn:  h_t = tanh or relu(xp_t + W_hh h_{t-1})
    lstm: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid(xp_t + W_hh h_{t-1})
          c_t = f c_{t-1} + i g          h_t = o tanh(c_t)
    gru:  r, z = sigmoid(xp_r,z + W_hr,z h_{t-1})          (b_hr, b_hz already in xp)
          n = tanh(xp_n + r * (W_hn h_{t-1} + b_hn))
          h_t = n + z (h_{t-1} - n)

under no_grad into preallocated (T+1, B, H) buffers (row 0 is h0 / c0, so h_{t-1} of
every step is one slice). A sequence that has ended (``active`` False, packed input)
keeps its state: h_t = h_{t-1}, c_t = c_{t-1}.

Its backward is BPTT by hand, t = T-1 .. 0:

    dh_t = dh_out_t + dhnext_t          dh_out_t: what came through the layer's output
    da_t = dh_t (and dc_t) through the cell's derivative     (zero for ended rows)
    dhnext_{t-1} = da_t W_hh  (+ dh_t z_t for the GRU, + dh_t for ended rows)

and once after the loop dW_hh = sum_t da_t^T h_{t-1}. Why it is faster than the graph
of per-step tensors it replaces (bench/torch_watch.py): every factor of the derivative
that does not depend on dh (1 - h^2, o (1 - tanh^2 c), ...) is computed in a few
in-place array operations for a block of steps at a time (_blocks), so the sequential
loop is 2 (rnn), 3 (gru) or 5 (lstm) tensor calls per step; the T per-step W_hh
gradients and their T accumulations into one (kH, H) buffer become one matmul; no hook
runs. dh and dc are written straight into the (T, B, H) arrays that the Tape keeps.
"""
import torch
from torch.autograd.function import once_differentiable


class Recurrence(torch.autograd.Function):
    """apply(cell, relu, xp, h0, c0, W_hh, b_hn, active, rec) -> (out, h_n[, c_n]).

    cell "rnn" / "lstm" / "gru"; relu: the RNN's nonlinearity; c0 only for the LSTM;
    b_hn (H,) only for a GRU with bias; active (T, B, 1) bool or None (all active);
    rec: a LayerTape to fill, or None."""

    @staticmethod
    def forward(ctx, cell, relu, xp, h0, c0, W_hh, b_hn, active, rec):
        xp = xp.contiguous()
        mask = _Mask(active, xp.dtype)
        if cell == "rnn":
            saved = _rnn_forward(xp, h0, W_hh, relu, mask)
        elif cell == "lstm":
            saved = _lstm_forward(xp, h0, c0, W_hh, mask)
        else:
            saved = _gru_forward(xp, h0, W_hh, b_hn, mask)
        ctx.cell, ctx.relu, ctx.mask, ctx.rec = cell, relu, mask, rec
        ctx.has_b_hn = b_hn is not None
        # intermediates too: autograd frees them after backward (unless retain_graph)
        ctx.save_for_backward(W_hh, *saved)
        Hs = saved[0]
        if rec is not None:
            rec.h = Hs[1:]
            H = Hs.shape[2]
            if cell == "lstm":      # views: the tape copies only its examples' rows
                rec.c, rec.gates = saved[1][1:], saved[2].split(H, 2)
            elif cell == "gru":
                r, z, rec.whn_h = saved[1].split(H, 2)
                rec.gates = (r, z, saved[2])
        # the output is a copy: a caller may change it in place (Dropout(inplace=True))
        outs = [Hs[1:].clone(), Hs[-1].clone()]
        if cell == "lstm":
            outs.append(saved[1][-1].clone())
        return tuple(outs)

    @staticmethod
    @once_differentiable
    def backward(ctx, dh_out, dh_n, dc_n=None):
        W_hh, *saved = ctx.saved_tensors
        if ctx.cell == "rnn":
            dxp, dh0, dW, DH = _rnn_backward(saved, W_hh, ctx.relu, ctx.mask,
                                             dh_out, dh_n)
            dc0 = db_hn = DC = None
        elif ctx.cell == "lstm":
            dxp, dh0, dc0, dW, DH, DC = _lstm_backward(saved, W_hh, ctx.mask,
                                                       dh_out, dh_n, dc_n)
            db_hn = None
        else:
            dxp, dh0, dW, db_hn, DH = _gru_backward(saved, W_hh, ctx.mask, dh_out, dh_n)
            dc0 = DC = None
            db_hn = db_hn if ctx.has_b_hn else None
        if ctx.rec is not None:
            ctx.rec.dh, ctx.rec.dc, ctx.rec.dh_out = DH, DC, dh_out
        return None, None, dxp, dh0, dc0, dW, db_hn, None, None


class _Mask:
    """Which rows move at each step. ``first``: the first step at which some sequence
    has ended (T if none does); before it no step needs the keep-state branch."""

    def __init__(self, active, dtype):
        self.active = active
        if active is None:
            self.first = None
            return
        moving = active.all(dim=(1, 2)).tolist()
        self.first = moving.index(False) if False in moving else len(moving)
        self.valid = active.to(dtype)               # (T, B, 1)
        self.hold = 1.0 - self.valid                # rows whose state is kept

    def ended(self, t):
        return self.first is not None and t >= self.first


def _start(xp, s0):
    """(T+1, B, H) state buffer, row 0 = the initial state s0 (B, H)."""
    states = xp.new_empty(xp.shape[0] + 1, *s0.shape)
    states[0] = s0
    return states


_BLOCK = 8


def _blocks(T):
    """(start, end) of the blocks of _BLOCK steps, last first. The derivative's factors
    are built a block at a time into one small buffer that stays in cache (8 steps of
    B 32, 5 x 256 floats: 1.3 MB); built for all T at once they went out to memory and
    back. One layer's forward + backward against the fused layer (H 256, T 100, one
    thread, interleaved): LSTM 1.24-1.34x -> 1.14-1.25x, GRU 1.03x -> 0.94x; blocks of
    32 steps gained nothing."""
    for e in range(T, 0, -_BLOCK):
        yield max(0, e - _BLOCK), e


# -- rnn ---------------------------------------------------------------------------

def _rnn_forward(xp, h0, W_hh, relu, mask):
    T = xp.shape[0]
    Hs = _start(xp, h0)
    h, xps, W_t = Hs.unbind(0), xp.unbind(0), W_hh.t()
    for t in range(T):
        torch.addmm(xps[t], h[t], W_t, out=h[t + 1])
        if relu:
            h[t + 1].relu_()
        else:
            h[t + 1].tanh_()
        if mask.ended(t):
            torch.where(mask.active[t], h[t + 1], h[t], out=h[t + 1])
    return (Hs,)


def _rnn_backward(saved, W_hh, relu, mask, dh_out, dh_n):
    (Hs,) = saved
    h = Hs[1:]
    T, B, H = h.shape
    DH, dA = torch.empty_like(h), torch.empty_like(h)
    dh, da = DH.unbind(0), dA.unbind(0)
    K = h.new_empty(_BLOCK, B, H)
    for s, e in _blocks(T):
        # dh_t -> da_t: 1 - h^2 (tanh) or [h > 0] (relu: h >= 0, so its sign)
        k = K[:e - s]
        if relu:
            torch.sign(h[s:e], out=k)
        else:
            torch.addcmul(_one(h), h[s:e], h[s:e], value=-1.0, out=k)
        if mask.active is not None:
            k.mul_(mask.valid[s:e])
        for t in range(e - 1, s - 1, -1):
            _dh(dh, da, dh_out, dh_n, W_hh, mask, t)
            torch.mul(dh[t], k[t - s], out=da[t])
    dh0 = _dh_before(dh, da, W_hh, mask)
    dW = _dW(dA, Hs)
    return dA, dh0, dW, DH


def _dh(dh, da, dh_out, dh_n, W_hh, mask, t):
    """dh_t = dh_out_t + da_{t+1} W_hh (+ dh_{t+1} for rows that ended at t+1)."""
    if t == len(dh) - 1:
        torch.add(dh_out[t], dh_n, out=dh[t])
        return
    torch.addmm(dh_out[t], da[t + 1], W_hh, out=dh[t])
    if mask.ended(t + 1):
        dh[t].addcmul_(dh[t + 1], mask.hold[t + 1])


def _dh_before(dh, da, W_hh, mask):
    """dL/dh0: what step 0 sends back (dh_0 itself for rows that ended at once)."""
    dh0 = da[0] @ W_hh
    if mask.ended(0):
        dh0.addcmul_(dh[0], mask.hold[0])
    return dh0


def _one(like):
    return torch.ones((), dtype=like.dtype, device=like.device)


def _dW(dA, Hs):
    """sum_t da_t^T h_{t-1}: one (kH, T B) x (T B, H) matmul."""
    T, B, G = dA.shape
    return dA.view(T * B, G).t() @ Hs[:-1].reshape(T * B, -1)


# -- lstm --------------------------------------------------------------------------

def _lstm_forward(xp, h0, c0, W_hh, mask):
    T, H = xp.shape[0], W_hh.shape[1]
    Hs, Cs = _start(xp, h0), _start(xp, c0)
    A = torch.empty_like(xp)                        # the gates i, f, g, o of each step
    TC = xp.new_empty(T, *h0.shape)                 # tanh(c_t), kept for h_t's derivative
    h, c, tc, a, xps, W_t = (Hs.unbind(0), Cs.unbind(0), TC.unbind(0), A.unbind(0),
                             xp.unbind(0), W_hh.t())
    i, f, g, o = (A[..., k * H:(k + 1) * H].unbind(0) for k in range(4))
    sig_if = A[..., :2 * H].unbind(0)
    for t in range(T):
        torch.addmm(xps[t], h[t], W_t, out=a[t])
        sig_if[t].sigmoid_()
        g[t].tanh_()
        o[t].sigmoid_()
        torch.mul(f[t], c[t], out=c[t + 1])
        c[t + 1].addcmul_(i[t], g[t])
        if mask.ended(t):
            torch.where(mask.active[t], c[t + 1], c[t], out=c[t + 1])
        torch.tanh(c[t + 1], out=tc[t])
        torch.mul(o[t], tc[t], out=h[t + 1])
        if mask.ended(t):
            torch.where(mask.active[t], h[t + 1], h[t], out=h[t + 1])
    return Hs, Cs, A, TC


def _lstm_backward(saved, W_hh, mask, dh_out, dh_n, dc_n):
    Hs, Cs, A, TC = saved
    T, B, G = A.shape
    H = G // 4
    i, f, g, o = A.view(T, B, 4, H).unbind(2)
    DH, DC, dA = torch.empty_like(TC), torch.empty_like(TC), torch.empty_like(A)
    dh, dc, da = DH.unbind(0), DC.unbind(0), dA.unbind(0)
    da_ifg = dA.view(T, B, 4, H)[:, :, :3].unbind(0)
    da_o = dA[..., 3 * H:].unbind(0)
    # the derivative's factors: dc_t gets dh_t * o (1 - tanh^2 c_t); the gate
    # pre-activations get dc_t * [g i(1-i), c_{t-1} f(1-f), i (1-g^2)] and dh_t * tanh(c_t)
    # o(1-o); dc_{t-1} gets dc_t * f (1 for rows that ended: c_t = c_{t-1}). x - x*x is
    # x(1-x) in one addcmul: written into the buffer, no temporaries (fresh pages each)
    K = A.new_empty(_BLOCK, B, 5, H)
    for s, e in _blocks(T):
        n = e - s
        K_i, K_f, K_g, K_o, K_c = K[:n].unbind(2)
        torch.addcmul(i[s:e], i[s:e], i[s:e], value=-1.0, out=K_i).mul_(g[s:e])
        torch.addcmul(f[s:e], f[s:e], f[s:e], value=-1.0, out=K_f).mul_(Cs[s:e])
        torch.addcmul(_one(A), g[s:e], g[s:e], value=-1.0, out=K_g).mul_(i[s:e])
        torch.addcmul(o[s:e], o[s:e], o[s:e], value=-1.0, out=K_o).mul_(TC[s:e])
        torch.addcmul(_one(A), TC[s:e], TC[s:e], value=-1.0, out=K_c).mul_(o[s:e])
        if mask.active is not None:
            K[:n].mul_(mask.valid[s:e, :, :, None])
        for t in range(e - 1, s - 1, -1):
            _dh(dh, da, dh_out, dh_n, W_hh, mask, t)
            k = K[t - s]
            if t == T - 1:
                torch.addcmul(dc_n, dh[t], k[:, 4], out=dc[t])
            else:
                torch.mul(dc[t + 1], f[t + 1], out=dc[t])
                if mask.ended(t + 1):
                    torch.where(mask.active[t + 1], dc[t], dc[t + 1], out=dc[t])
                dc[t].addcmul_(dh[t], k[:, 4])
            torch.mul(dc[t][:, None], k[:, :3], out=da_ifg[t])
            torch.mul(dh[t], k[:, 3], out=da_o[t])
    dh0 = _dh_before(dh, da, W_hh, mask)
    dc0 = dc[0] * f[0]
    if mask.ended(0):
        dc0 = torch.where(mask.active[0], dc0, dc[0])
    return dA, dh0, dc0, _dW(dA, Hs), DH, DC


# -- gru ---------------------------------------------------------------------------

def _gru_forward(xp, h0, W_hh, b_hn, mask):
    T, H = xp.shape[0], W_hh.shape[1]
    Hs = _start(xp, h0)
    # A_t starts as [xp_r, xp_z, b_hn]; one in-place addmm per step adds W_hh h_{t-1}
    # and leaves a_r, a_z and W_hn h + b_hn (the tape's whn_h) side by side
    A = torch.empty_like(xp)
    A[..., :2 * H] = xp[..., :2 * H]
    A[..., 2 * H:] = 0.0 if b_hn is None else b_hn
    N = xp.new_empty(T, *h0.shape)
    diff = torch.empty_like(h0)                     # h_{t-1} - n_t
    h, a, n, xn, W_t = Hs.unbind(0), A.unbind(0), N.unbind(0), xp[..., 2 * H:].unbind(0), \
        W_hh.t()
    rz, r, z, whn_h = (A[..., :2 * H].unbind(0), A[..., :H].unbind(0),
                       A[..., H:2 * H].unbind(0), A[..., 2 * H:].unbind(0))
    for t in range(T):
        a[t].addmm_(h[t], W_t)
        rz[t].sigmoid_()
        torch.addcmul(xn[t], r[t], whn_h[t], out=n[t])
        n[t].tanh_()
        torch.sub(h[t], n[t], out=diff)
        torch.addcmul(n[t], z[t], diff, out=h[t + 1])
        if mask.ended(t):
            torch.where(mask.active[t], h[t + 1], h[t], out=h[t + 1])
    return Hs, A, N


def _gru_backward(saved, W_hh, mask, dh_out, dh_n):
    Hs, A, N = saved
    T, B, G = A.shape
    H = G // 3
    r, z, whn_h = A.view(T, B, 3, H).unbind(2)
    DH, dHH, dxp = torch.empty_like(N), torch.empty_like(A), torch.empty_like(A)
    dh, dhh, dhh3 = DH.unbind(0), dHH.unbind(0), dHH.view(T, B, 3, H).unbind(0)
    # dh_{t-1} gets dh_t z_t directly (dh_t itself for rows that ended)
    Z = z if mask.active is None else torch.where(mask.active, z, 1.0)
    # da_n = dh (1-z)(1-n^2) = dh K_n, da_z = dh (h_{t-1} - n) z(1-z),
    # da_r = da_n whn_h r(1-r); W_hh h_{t-1} + b_hh gets [da_r, da_z, da_n r]
    K = A.new_empty(_BLOCK, B, 4, H)
    for s, e in _blocks(T):
        K_r, K_z, K_hn, K_n = K[:e - s].unbind(2)
        torch.addcmul(_one(A), N[s:e], N[s:e], value=-1.0, out=K_n)
        K_n.addcmul_(K_n, z[s:e], value=-1.0)
        torch.addcmul(r[s:e], r[s:e], r[s:e], value=-1.0, out=K_r).mul_(whn_h[s:e])
        K_r.mul_(K_n)
        torch.sub(Hs[s:e], N[s:e], out=K_hn)           # h_{t-1} - n_t, scratch
        torch.addcmul(z[s:e], z[s:e], z[s:e], value=-1.0, out=K_z).mul_(K_hn)
        torch.mul(K_n, r[s:e], out=K_hn)
        if mask.active is not None:
            K[:e - s].mul_(mask.valid[s:e, :, :, None])
        for t in range(e - 1, s - 1, -1):
            if t == T - 1:
                torch.add(dh_out[t], dh_n, out=dh[t])
            else:
                torch.addcmul(dh_out[t], dh[t + 1], Z[t + 1], out=dh[t])
                dh[t].addmm_(dhh[t + 1], W_hh)
            torch.mul(dh[t][:, None], K[t - s, :, :3], out=dhh3[t])
        dxp[s:e, :, :2 * H] = dHH[s:e, :, :2 * H]
        torch.mul(DH[s:e], K_n, out=dxp[s:e, :, 2 * H:])
    dh0 = torch.addmm(dh[0] * Z[0], dhh[0], W_hh)
    db_hn = dHH[..., 2 * H:].sum((0, 1))
    return dxp, dh0, _dW(dHH, Hs), db_hn, DH
