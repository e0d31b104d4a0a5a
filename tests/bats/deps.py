"""The Python helpers' third-party modules, from Debian packages: a missing
one is named with its package, instead of a traceback.

    from deps import require
    msgpack = require("msgpack", "python3-msgpack")

The helpers run under /usr/bin/python3: a python3 earlier on PATH (pyenv)
does not see Debian's packages."""

import importlib
import os
import sys


def require(module, package):
    try:
        return importlib.import_module(module)
    except ImportError:
        prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
        sys.exit(f"{prog}: Python module '{module}' missing: install the Debian package {package} "
                 f"(apt-get install {package}) and run with /usr/bin/python3 (this is {sys.executable})")
