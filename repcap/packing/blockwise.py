r"""Blockwise Gram products: max |cos| and the packing gradient without a k × k matrix in memory.

Vectors are stored as the rows of V ∈ R^{k×d} (row i = v_i, unit length). The Gram matrix G = V Vᵀ
is visited in square tiles G_IJ = V_I V_Jᵀ over row blocks I ≤ J only (G is symmetric), so the
tiles needed at any moment take 2·b² numbers (a tile and one scratch tile) whatever k is.

Gradient of L = Σ_{i≠j} f(G_ij) with respect to the rows (F_ij = f'(G_ij), F_ii = 0, F symmetric):

.. math:: \partial L / \partial V = 2 F V, \qquad
          (\partial L/\partial V)_I \mathrel{+}= 2 F_{IJ} V_J, \quad
          (\partial L/\partial V)_J \mathrel{+}= 2 F_{IJ}^\top V_I \quad (I < J)

and once for I = J. Visiting only I ≤ J computes each entry of G once (about d·k² multiply-adds
instead of the 2·d·k² of V Vᵀ in full) and applies f' to half the entries; the gradient products cost
the same 2·d·k² as the dense F V. For W ∈ R^{k×d} with V = W / ‖W‖_row the chain rule through the
normalisation is

.. math:: \partial L / \partial W_i = \big(g_i - \langle g_i, v_i\rangle v_i\big) / \lVert W_i \rVert,
          \qquad g_i = (\partial L / \partial V)_i .
"""

from __future__ import annotations

import math

from repcap.errors import PackingError, option


def block_ranges(k: int, block: int) -> list[tuple[int, int]]:
    """[(start, stop), ...] covering 0..k in pieces of at most ``block`` rows, sizes balanced."""
    count = max(1, math.ceil(k / block))
    edges = [round(i * k / count) for i in range(count + 1)]
    return [(edges[i], edges[i + 1]) for i in range(count)]


def choose_block(k: int, budget_bytes: int, itemsize: int, *, tiles: int = 2, batch: int = 1,
                 preferred: int | None = None) -> int:
    """The tile size b: the largest with ``batch · tiles · b² · itemsize ≤ budget`` (and ≤ preferred, ≤ k)."""
    fit = int(math.isqrt(max(budget_bytes // (batch * tiles * itemsize), 1)))
    if fit < 16:
        need = batch * tiles * 16 * 16 * itemsize
        raise PackingError(f"{option('memory_budget')} of {budget_bytes} bytes is too small for even "
                           f"16×16 Gram tiles ({need} bytes); raise {option('memory_budget')}")
    b = min(k, fit, preferred or k)
    return max(b, 1)


class GramWorkspace:
    """Scratch tiles for :meth:`gradient` and :meth:`max_abs` on k vectors, reused across steps."""

    def __init__(self, k: int, block: int, *, device, dtype):
        import torch

        self.k, self.block = k, min(block, k)
        self.ranges = block_ranges(k, self.block)
        size = max(b - a for a, b in self.ranges)
        self._tile = torch.empty(size * size, device=device, dtype=dtype)
        self._work = torch.empty(size * size, device=device, dtype=dtype)

    def _tiles(self, rows: int, cols: int):
        n = rows * cols
        return self._tile[:n].view(rows, cols), self._work[:n].view(rows, cols)

    def max_abs(self, V) -> float:
        """max_{i≠j} |⟨v_i, v_j⟩| over the rows of V (a python float)."""
        import torch

        best = torch.zeros((), device=V.device, dtype=V.dtype)
        for i, (a0, a1) in enumerate(self.ranges):
            for b0, b1 in self.ranges[i:]:
                tile, _ = self._tiles(a1 - a0, b1 - b0)
                torch.mm(V[a0:a1], V[b0:b1].T, out=tile)
                if a0 == b0:
                    tile.fill_diagonal_(0)
                lo, hi = torch.aminmax(tile)
                best = torch.maximum(best, torch.maximum(hi, -lo))
        return float(best)

    def gradient(self, V, objective, grad):
        """Fill ``grad`` (k × d) with ∂L/∂V for ``objective``; return max_{i≠j}|G_ij| as a 0-d tensor.

        The maximum is taken from the same tiles (before f' overwrites them), so it costs one
        reduction per tile and no extra Gram product.
        """
        import torch

        grad.zero_()
        best = torch.zeros((), device=V.device, dtype=V.dtype)
        alpha = 2.0 * objective.scale
        for i, (a0, a1) in enumerate(self.ranges):
            Va = V[a0:a1]
            for b0, b1 in self.ranges[i:]:
                Vb = V[b0:b1]
                tile, work = self._tiles(a1 - a0, b1 - b0)
                torch.mm(Va, Vb.T, out=tile)
                diagonal = a0 == b0
                if diagonal:
                    tile.fill_diagonal_(0)
                lo, hi = torch.aminmax(tile)
                tile_max = torch.maximum(hi, -lo)
                best = torch.maximum(best, tile_max)
                rescale = objective.derivative_(tile, work, diagonal, tile_max)
                if rescale is not None:  # a smooth max moved its numerical shift: rescale what is summed
                    grad.mul_(rescale)
                if diagonal:
                    tile.fill_diagonal_(0)
                    grad[a0:a1].addmm_(tile, Va, alpha=alpha)
                else:
                    grad[a0:a1].addmm_(tile, Vb, alpha=alpha)
                    grad[b0:b1].addmm_(tile.T, Va, alpha=alpha)
        factor = objective.finish()
        if factor != 1.0:
            grad.mul_(factor)
        return best


def normalise_rows(W, out=None):
    """V = W / max(‖W_i‖, 1e-12) row by row (as torch's F.normalize), written to ``out``; and the norms."""
    import torch

    norms = W.norm(dim=1, keepdim=True).clamp_min_(1e-12)
    return torch.div(W, norms, out=out) if out is not None else W / norms, norms


def project_to_weights(V, norms, grad_v):
    """∂L/∂W from ∂L/∂V through V = W / ‖W‖_row, in place on ``grad_v``: (g − ⟨g, v⟩ v) / ‖W‖."""
    radial = (grad_v * V).sum(dim=1, keepdim=True)
    grad_v.addcmul_(V, radial, value=-1.0)
    grad_v.div_(norms)
    return grad_v
