"""`python -m rasa_runtime.action_server run actions ...`: Rasa's command line with masked logs.

The launcher starts the action server through this, so that no log line
holds an e-mail address, phone number or card number (``privacy/logs.py``).
It runs rasa-sdk, which needs none of the Rasa server's replacements; it does
check that the installed Rasa is the pinned one.
"""

from __future__ import annotations

import sys


def main() -> None:
    from privacy import logs
    from rasa_runtime.install import check_rasa_version

    check_rasa_version()
    logs.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
