"""``python -m hwsim`` runs the CLI."""

import sys

from hwsim.cli import main

sys.exit(main())
