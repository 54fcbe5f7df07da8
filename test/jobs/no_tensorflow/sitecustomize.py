"""On PYTHONPATH, this makes TensorFlow and its converter stack unimportable in every Python
process that starts (the spark-submit driver and each PySpark worker), as on an EMR Serverless
image that has only the workers' packages. Used by test_serverless_no_tensorflow.py."""

import importlib.abc
import importlib.util
import sys

BLOCKED = ("tensorflow", "keras", "tf2onnx", "onnx", "h5py", "tensorboard")


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named '{name}' (blocked: no TensorFlow here)", name=name)
        return None


sys.meta_path.insert(0, _Blocker())

# importlib.util.find_spec answers None for a module that is not installed (the job's
# require_tensorflow asks it before importing): give the same answer for the blocked ones.
_find_spec = importlib.util.find_spec


def _find_spec_absent(name, package=None):
    if name.split(".")[0] in BLOCKED:
        return None
    return _find_spec(name, package)


importlib.util.find_spec = _find_spec_absent
