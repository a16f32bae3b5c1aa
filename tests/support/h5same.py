"""synovia test helper: do two HDF5 files hold the same data, bit for bit?

usage: h5same.py A.h5 B.h5 [--attrs-except name,name]

Compares every dataset (names, shapes, dtypes and the raw bytes of the values,
so NaN patterns count too) and, unless told otherwise, every attribute except
those that record when and how a file was made (date_created,
parts_date_created, command_line, task_index, task_count). Exit 0 when the same; 1 with the first difference."""
import sys

import h5py
import numpy as np

VOLATILE = {"date_created", "parts_date_created", "command_line", "task_index", "task_count",
            "history"}


def walk(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj))
    out["/"] = f
    return out


def as_bytes(v):
    if isinstance(v, np.ndarray) and v.dtype.kind == "O":
        return repr([x.decode() if isinstance(x, bytes) else x for x in v.ravel()]).encode()
    if isinstance(v, np.ndarray):
        return v.dtype.str.encode() + repr(v.shape).encode() + v.tobytes()
    return repr(v).encode()


def differ(a, b):
    ia, ib = walk(a), walk(b)
    if sorted(ia) != sorted(ib):
        return "objects differ: %s" % sorted(set(ia) ^ set(ib))
    for name in sorted(ia):
        oa, ob = ia[name], ib[name]
        if isinstance(oa, h5py.Dataset):
            if oa.shape != ob.shape or oa.dtype != ob.dtype:
                return "%s: shape/dtype %s %s vs %s %s" % (name, oa.shape, oa.dtype, ob.shape, ob.dtype)
            if as_bytes(oa[()]) != as_bytes(ob[()]):
                return "%s: values differ" % name
        ka = {k for k in oa.attrs if k not in VOLATILE and k != "DIMENSION_LIST" and k != "REFERENCE_LIST"}
        kb = {k for k in ob.attrs if k not in VOLATILE and k != "DIMENSION_LIST" and k != "REFERENCE_LIST"}
        if ka != kb:
            return "%s: attributes differ: %s" % (name, sorted(ka ^ kb))
        for k in ka:
            if as_bytes(np.asarray(oa.attrs[k])) != as_bytes(np.asarray(ob.attrs[k])):
                return "%s: attribute %s differs" % (name, k)
    return None


def main():
    with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
        d = differ(a, b)
    if d:
        print("differ:", d)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
