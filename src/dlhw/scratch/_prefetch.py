"""``prefetch(a, i)``: a hint to the CPU to start loading the cache line of ``a.flat[i]``.

Batch-1 SGD visits the rows of ``X`` in shuffled order, so each new row starts with cache misses
that the hardware prefetcher cannot foresee (it only follows sequential streams). Asking for
the *next* row's lines while the current one is processed hides that latency: on Fashion-MNIST
it halves the time spent fetching and decoding rows in the linear kernels. The hint has no
effect on results (it only loads memory; it never faults, even on a bad address).
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_I8P = ir.IntType(8).as_pointer()
_I32 = ir.IntType(32)


@intrinsic
def _prefetch_flat(typingctx, arr, index):
    """LLVM's ``llvm.prefetch`` (read, locality 2: ``prefetcht1``, into L2) on ``&arr.data[index]``.

    Into L2, not L1: a row is 13 cache lines, and a dozen rows in flight would evict from L1 the
    weights being worked on (measurements: ``benchmarks/README.md``).
    """
    if not isinstance(arr, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), _I8P)
        fnty = ir.FunctionType(ir.VoidType(), [_I8P, _I32, _I32, _I32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        builder.call(fn, [address, ir.Constant(_I32, 0), ir.Constant(_I32, 2), ir.Constant(_I32, 1)])
        return context.get_dummy_value()

    return types.void(arr, index), codegen


@njit(cache=True, nogil=True)
def prefetch_row(A, i):
    """Prefetch every cache line of row ``A[i]`` of a C-contiguous 2-d array ``A`` (n, D)."""
    flat = A.reshape(-1)
    width = A.shape[1]
    start = i * width
    line = 64 // A.itemsize  # elements per 64-byte cache line
    for offset in range(0, width, line):
        _prefetch_flat(flat, start + offset)
    _prefetch_flat(flat, start + width - 1)  # a row that straddles one more line
