"""synovia test helper: TAP for the Python tests that record checks with a
decorator (test_h5_read, test_h5sweep_read, test_sweep).

    from taplib import SkipTest, check, fail, finish
    @check("the file opens")            # runs at once; records ok / not ok
    def _(): ...
    fail("a step that raised", traceback_text)
    sys.exit(finish())                  # prints the plan and results; 1 if any failed

Every check runs even when an earlier one failed; a failure prints its
traceback as TAP comments. SkipTest("why") records "ok … # SKIP why"."""
import traceback

results = []


class SkipTest(Exception):
    pass


def check(name):
    """Decorator: runs the check, records ok / not ok (with the reason)."""
    def wrap(fn):
        try:
            fn()
            results.append((True, name, None))
        except SkipTest as e:
            results.append((True, name + " # SKIP " + str(e), None))
        except Exception:  # report every failure, keep going
            results.append((False, name, traceback.format_exc()))
        return fn
    return wrap


def fail(name, why):
    results.append((False, name, why))


def finish():
    print("1..%d" % len(results))
    failed = 0
    for i, (ok, name, why) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            failed += 1
            for line in why.rstrip().splitlines():
                print("# " + line)
    return 1 if failed else 0
