"""`python -m poc`: the `poc` command line without its installed script."""

import sys

from poc.cli.main import main

sys.exit(main())
