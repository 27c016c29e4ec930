"""``python -m hwsim`` runs the CLI."""

import sys

from hwsim.app.cli import main

sys.exit(main())
