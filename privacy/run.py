"""``python -m privacy.run <rasa arguments>``: Rasa's command line with masked logs.

The launcher starts both servers through this, so that no log line of either
holds an e-mail address, phone number or card number (see privacy.masking).
"""

from __future__ import annotations

import sys

from privacy import logs


def main() -> None:
    logs.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
