# cython: language_level=3, boundscheck=True, wraparound=False, initializedcheck=False
# cython: cdivision=True, infer_types=False
"""The credit flow's two loops over every record, compiled (`ledger.scoring.flow` says what
they compute, and holds the same loops in Python).

hatch_build.py compiles this file at install; `ledger.scoring.flow` uses the Python loops when
it was not built, and tests/ledger/scoring/test_flow_compiled.py holds the two to the same
results. The values are Python integers and every operation on them is Python's own exact,
unbounded arithmetic: what compiling saves is the interpreter's time per record, not precision.
Indexes stay bounds-checked (an IndexError, never a write outside an array): they cost nothing
measurable here.
"""

from cpython.array cimport array, clone
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE

cdef array _INDEX_TEMPLATE = array("q")  # what `clone` copies the type of


def resolve_parents(list in_order, dict records):
    """(starts, positions) of the records `in_order` (each `[event, lifecycle, position, ...]`):
    `positions[starts[i]:starts[i + 1]]` are the positions of record i's parents, in the order
    named, -1 for a parent `records` does not hold. Both are array("q")."""
    cdef Py_ssize_t count = PyList_GET_SIZE(in_order)
    cdef list named = [None] * count
    cdef array starts = clone(_INDEX_TEMPLATE, count + 1, False)
    cdef long long[:] start_at = starts
    cdef Py_ssize_t i, j, size, total = 0
    cdef object parents
    start_at[0] = 0
    for i in range(count):
        parents = (<object>PyList_GET_ITEM(in_order, i))[0].parents
        if type(parents) is not tuple:
            parents = tuple(parents)
        named[i] = parents
        total += PyTuple_GET_SIZE(parents)
        start_at[i + 1] = total
    cdef array positions = clone(_INDEX_TEMPLATE, total, False)
    cdef long long[:] position_of = positions
    cdef PyObject* found
    cdef Py_ssize_t at = 0
    for i in range(count):
        parents = <object>PyList_GET_ITEM(named, i)
        size = PyTuple_GET_SIZE(parents)
        for j in range(size):
            found = PyDict_GetItem(records, <object>PyTuple_GET_ITEM(parents, j))
            position_of[at] = -1 if found is NULL else (<object>found)[2]
            at += 1
    return starts, positions


cdef inline void _add_at(list sums, Py_ssize_t exponent, object value):
    """sums[exponent] += value, the list grown with zeros as far as needed."""
    if exponent >= PyList_GET_SIZE(sums):
        sums.extend([0] * (exponent + 1 - PyList_GET_SIZE(sums)))
    sums[exponent] = sums[exponent] + value


def walk_in_chain_order(
    const unsigned int[:] owners,
    const long long[:] starts,
    const long long[:] positions,
    list gross,
    int[:] exponents,
    list roots,
    list passing,
    object whole,
    list powers,
    object unit,
    object edge_of,
):
    """`_Walk.run_in_chain_order`'s loop: from the last record to the first, pass each
    taking-part record's share of its gross value to its credit parents. False as soon as a
    parent comes after its child (the caller then sorts). `edge_of(i)` gives the credit
    parents of a record whose parents are not one or two of other partners'."""
    cdef Py_ssize_t count = len(gross)
    cdef Py_ssize_t i, n, parent, first, second, start, held, up, exponent
    cdef unsigned int owner, theirs, mine
    cdef object value, amount, half = whole // 2
    cdef tuple edge
    for i in range(count - 1, -1, -1):
        owner = owners[i]
        if not owner:
            continue
        exponent = exponents[i]
        start = starts[i]
        n = starts[i + 1] - start
        if n:
            if n == 1:
                parent = positions[start]
                if parent >= 0:
                    theirs = owners[parent]
                    if theirs and theirs != owner:
                        if parent > i:
                            return False
                        value = <object>PyList_GET_ITEM(gross, i)
                        amount = value * whole
                        up = exponent + 1
                        _raise(gross, exponents, powers, unit, parent, up, amount)
                        _add_at(<list>PyList_GET_ITEM(passing, owner), exponent, value)
                        continue
            elif n == 2:  # two credit parents take half each, whoever owns them
                first, second = positions[start], positions[start + 1]
                if first >= 0 and second >= 0 and first != second:
                    mine, theirs = owners[first], owners[second]
                    if mine and theirs and mine != owner and theirs != owner:
                        if first > i or second > i:
                            return False
                        value = <object>PyList_GET_ITEM(gross, i)
                        amount = value * half
                        up = exponent + 1
                        _raise(gross, exponents, powers, unit, first, up, amount)
                        _raise(gross, exponents, powers, unit, second, up, amount)
                        _add_at(<list>PyList_GET_ITEM(passing, owner), exponent, value)
                        continue
            edge = edge_of(i)
            if edge:
                value = <object>PyList_GET_ITEM(gross, i)
                up = exponent + 1
                for parent, multiple in edge:
                    if parent > i:
                        return False
                    _raise(gross, exponents, powers, unit, parent, up, value * multiple)
                _add_at(<list>PyList_GET_ITEM(passing, owner), exponent, value)
                continue
        _add_at(<list>PyList_GET_ITEM(roots, owner), exponent, <object>PyList_GET_ITEM(gross, i))
    return True


cdef inline void _raise(
    list gross,
    int[:] exponents,
    list powers,
    object unit,
    Py_ssize_t parent,
    Py_ssize_t up,
    object amount,
):
    """gross[parent] += amount / U^up, both held over the larger power of U. `powers` always
    reaches the largest exponent given out (U^0 ... U^e), so that `held - up` is inside it."""
    cdef Py_ssize_t held = exponents[parent]
    if held == up:
        gross[parent] = <object>PyList_GET_ITEM(gross, parent) + amount
    elif held > up:
        gross[parent] = <object>PyList_GET_ITEM(gross, parent) + amount * powers[held - up]
    else:
        while PyList_GET_SIZE(powers) <= up:
            powers.append(powers[PyList_GET_SIZE(powers) - 1] * unit)
        gross[parent] = <object>PyList_GET_ITEM(gross, parent) * powers[up - held] + amount
        exponents[parent] = up
