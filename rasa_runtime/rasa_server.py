"""`python -m rasa_runtime.rasa_server run ...`: Rasa's own `rasa run`, with the replacements.

The launcher starts the Rasa server through this module (the arguments are
`rasa`'s, unchanged); ``install()`` applies every replacement of
``rasa_runtime/`` first. What each one saves, and how it was measured, is in
its module and in docs/architecture.md.
"""

from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    from rasa_runtime.install import install

    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
