"""``python -m bench [args]``: the import benchmark (bench/import_members.py)."""

import sys

from bench.import_members import main

sys.exit(main())
