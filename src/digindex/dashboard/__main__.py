"""``python -m digindex.dashboard``: see :mod:`digindex.dashboard.launch`."""

from digindex.dashboard.launch import main

raise SystemExit(main())
