"""``python -m pileon.experiments.cli``: the same as the ``pileon`` command."""

from . import main

raise SystemExit(main())
