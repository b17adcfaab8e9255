"""``python -m pytest_imagegen``: the ``imagegen-cassettes`` command line."""

import sys

from pytest_imagegen.cli import main

sys.exit(main())
